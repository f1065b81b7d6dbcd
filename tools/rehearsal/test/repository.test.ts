/** The throw-away repository and the manifest a rehearsal reads. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { RehearsalError } from "../src/errors.ts";
import { RehearsalRepository } from "../src/repository.ts";
import { readManifest } from "../src/scenario.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const temp = mkdtempSync(join(tmpdir(), "tandem-rehearsal-repo-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("the throw-away repository", () => {
  it("holds the working tree (tracked, untracked, not ignored) as main, with the remote named", () => {
    const project = join(temp, "project");
    mkdirSync(join(project, "docs"), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync("git", args, { cwd: project, encoding: "utf8" });
    git("init", "--quiet");
    writeFileSync(join(project, ".gitignore"), "ignored/\n");
    writeFileSync(join(project, "tracked.txt"), "committed\n");
    git("add", "--all");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "first");
    writeFileSync(join(project, "tracked.txt"), "edited, not committed\n");
    writeFileSync(join(project, "docs", "new.md"), "untracked\n");
    mkdirSync(join(project, "ignored"));
    writeFileSync(join(project, "ignored", "x"), "ignored\n");

    const repository = RehearsalRepository.create(
      project,
      join(temp, "copy"),
      "https://github.com/o/r.git",
      (dir) => writeFileSync(join(dir, "prepared.txt"), "by the hook\n"),
    );
    expect(repository.git("ls-files").split("\n").sort()).toEqual([
      ".gitignore",
      "docs/new.md",
      "prepared.txt",
      "tracked.txt",
    ]);
    expect(readFileSync(join(repository.dir, "tracked.txt"), "utf8")).toBe(
      "edited, not committed\n",
    );
    expect(repository.git("remote", "get-url", "origin")).toBe("https://github.com/o/r.git");

    const base = repository.sha("main");
    const head = repository.commit("topic", "main", "a change", (dir) =>
      writeFileSync(join(dir, "tracked.txt"), "changed\n"),
    );
    const merge = repository.checkoutMerge(base, head);
    expect(repository.git("rev-list", "--parents", "-n", "1", merge).split(" ").slice(1)).toEqual([
      base,
      head,
    ]);
    expect(repository.sha("main")).toBe(base);
    // As actions/checkout with fetch-depth 0 leaves it: every branch as origin/<branch>.
    expect(repository.sha("origin/topic")).toBe(head);

    const merged = repository.merge("topic", "Merge pull request #1");
    expect(repository.sha("HEAD")).toBe(merged);
    expect(repository.sha("origin/main")).toBe(merged);
    expect(repository.git("rev-list", "--parents", "-n", "1", merged).split(" ").slice(1)).toEqual([
      base,
      head,
    ]);
  });
});

describe("the manifest a rehearsal reads", () => {
  it("gives the regions, the alarm emails and the repository the roles trust", () => {
    const manifest = readManifest(REPO_ROOT, "staging");
    expect([manifest.primary, manifest.secondary]).toEqual(["us-east-1", "us-west-2"]);
    expect(manifest.alarmEmails.length).toBeGreaterThan(0);
    expect(manifest.github.repository).toBe("acme-payments/payments-infra");
  });

  it("refuses an environment that does not exist, or a name that is not one", () => {
    expect(() => readManifest(REPO_ROOT, "nowhere")).toThrow(
      new RehearsalError("no environment nowhere: environments/nowhere.yaml does not exist"),
    );
    expect(() => readManifest(REPO_ROOT, "../etc")).toThrow(RehearsalError);
  });
});
