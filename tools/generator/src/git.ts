import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printable, quote, UsageError } from "./errors.ts";
import { installedPackages } from "./modules/load.ts";
import { ownedName, removeLeftovers } from "./write.ts";

/** What synthesis reads of a tree; everything else (docs, CI, the generator) cannot change output. */
const SYNTH_INPUTS = ["environments", "modules", "tools/module-kit"];

function git(repo: string, args: string[], input?: Buffer): Buffer {
  const result = spawnSync("git", ["-C", repo, ...args], { input, maxBuffer: 1 << 30 });
  if (result.error) throw new UsageError(`git is needed for this command: ${result.error.message}`);
  if (result.status !== 0) throw new GitError(result.stderr.toString().trim());
  return result.stdout;
}

class GitError extends Error {}

/** The commit a ref names, or a usage error that says the ref is unknown. */
export function resolveCommit(repo: string, ref: string): string {
  try {
    return git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`])
      .toString()
      .trim();
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    repositoryRoot(repo); // outside a repository, say that rather than "unknown ref"
    throw new UsageError(`unknown git ref ${quote(ref)}`);
  }
}

/**
 * Extracts what synthesis reads of `ref` into a temporary folder and passes it to `use`;
 * the folder is removed afterwards. Paths the commit does not have are simply absent, and
 * libraries come from this installation (the generator and libraries of `ref` are not used).
 * Folders that killed runs left behind are removed first.
 */
export async function withTreeAt<T>(
  repo: string,
  ref: string,
  use: (root: string) => Promise<T>,
): Promise<T> {
  const commit = resolveCommit(repo, ref);
  removeLeftovers(tmpdir(), "tandem-tree-");
  const root = join(tmpdir(), ownedName("tandem-tree-"));
  mkdirSync(root);
  try {
    const present = git(repo, ["ls-tree", "--name-only", commit, "--", ...SYNTH_INPUTS])
      .toString()
      .split("\n")
      .filter(Boolean);
    mkdirSync(join(root, "environments"), { recursive: true });
    if (present.length > 0) {
      const archive = git(repo, ["archive", "--format=tar", commit, "--", ...present]);
      const tar = spawnSync("tar", ["-x", "-C", root], { input: archive });
      if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
    }
    // Module code may bundle libraries at synth time (the payment handler): lend it ours.
    symlinkSync(installedPackages(), join(root, "node_modules"), "dir");
    return await use(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The repository's top-level folder containing `cwd`. */
export function repositoryRoot(cwd: string): string {
  try {
    return git(cwd, ["rev-parse", "--show-toplevel"]).toString().trim();
  } catch (error) {
    if (error instanceof GitError)
      throw new UsageError(
        `comparing with a git ref needs a git repository: ${printable(error.message)}`,
      );
    throw error;
  }
}
