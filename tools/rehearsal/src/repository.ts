/**
 * The throw-away git repository a rehearsal runs the workflows in: the project's files as they
 * are in the working tree (tracked and untracked, not ignored), committed as `main`, so a
 * workflow can be rehearsed before it is committed; pull requests are branches, and act runs
 * each event on the commit GitHub would check out.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

const IDENTITY = [
  "-c",
  "user.name=Rehearsal",
  "-c",
  "user.email=rehearsal@users.noreply.github.com",
  "-c",
  "commit.gpgsign=false",
];

export class RehearsalRepository {
  private constructor(readonly dir: string) {}

  /** A new repository in `dir` holding the working tree of `repoRoot` as the first commit of main. */
  static create(
    repoRoot: string,
    dir: string,
    remote: string,
    prepare?: (dir: string) => void,
  ): RehearsalRepository {
    const files = execFileSync(
      "git",
      ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
      {
        cwd: repoRoot,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    )
      .split("\0")
      .filter(Boolean);
    for (const file of new Set(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      try {
        cpSync(join(repoRoot, file), join(dir, file), { verbatimSymlinks: true });
      } catch (error) {
        // A file git lists as tracked but deleted in the working tree is left out, as in the tree.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    prepare?.(dir);
    const repository = new RehearsalRepository(dir);
    repository.git("init", "--quiet", "--initial-branch=main");
    repository.git("remote", "add", "origin", remote);
    repository.git("add", "--all");
    repository.git(
      ...IDENTITY,
      "commit",
      "--quiet",
      "--no-verify",
      "-m",
      "The project as rehearsed",
    );
    repository.publish();
    return repository;
  }

  git(...args: string[]): string {
    return execFileSync("git", args, {
      cwd: this.dir,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    }).trim();
  }

  sha(ref: string): string {
    return this.git("rev-parse", ref);
  }

  /** Commits `edit` (run in the checkout) on `branch`, created from `from` when it does not exist. */
  commit(branch: string, from: string, message: string, edit: (dir: string) => void): string {
    const exists = this.git("branch", "--list", branch) !== "";
    this.git("checkout", "--quiet", ...(exists ? [branch] : ["-b", branch, from]));
    edit(this.dir);
    this.git("add", "--all");
    this.git(...IDENTITY, "commit", "--quiet", "--no-verify", "-m", message);
    this.publish();
    return this.sha("HEAD");
  }

  /** The merge of `head` into `base` (a pull request's refs/pull/N/merge), checked out, detached. */
  checkoutMerge(base: string, head: string): string {
    this.git("checkout", "--quiet", "--detach", base);
    this.git(...IDENTITY, "merge", "--quiet", "--no-ff", "--no-edit", head);
    return this.sha("HEAD");
  }

  /** Merges `branch` into main (a merge commit, as GitHub's merge button makes) and checks main out. */
  merge(branch: string, message: string): string {
    this.git("checkout", "--quiet", "main");
    this.git(...IDENTITY, "merge", "--quiet", "--no-ff", "-m", message, branch);
    this.publish();
    return this.sha("HEAD");
  }

  /**
   * Every branch as `origin/<branch>` too: what actions/checkout with fetch-depth 0 leaves in a
   * job's checkout, and what a workflow compares against (apply.yml: a commit of origin/main).
   */
  private publish(): void {
    for (const branch of this.git("for-each-ref", "--format=%(refname:short)", "refs/heads").split(
      "\n",
    ))
      if (branch) this.git("update-ref", `refs/remotes/origin/${branch}`, `refs/heads/${branch}`);
  }
}
