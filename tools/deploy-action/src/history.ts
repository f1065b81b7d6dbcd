/**
 * The repository's history as apply reads it, from git: the first-parent commits merged since
 * the last applied one, and the synthesized roots at any of them (a tree exported from git and
 * synthesized by this checkout's CLI; the checked-out commit's own dist/ for the head).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { History } from "./context.ts";
import { loadDeployments, type EnvironmentDeployments } from "./deployments.ts";
import { Refusal, UserError } from "./errors.ts";

function git(repoRoot: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync("git", args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 << 20 });
  return { status: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

export function gitHistory(
  repoRoot: string,
  environment: string,
  head: string,
  workDir: string,
): History {
  const trees = new Map<string, EnvironmentDeployments>();
  return {
    async mergesSince(base, until) {
      if (!base) return [until];
      const ancestor = git(repoRoot, ["merge-base", "--is-ancestor", base, until]);
      if (ancestor.status === 1)
        throw new Refusal(
          `${until} does not descend from ${base}, the last commit applied to ${environment}: main was rewritten, or the commit is older than what is applied`,
        );
      if (ancestor.status !== 0)
        throw new UserError(
          `git cannot compare ${base} and ${until} (check out with fetch-depth: 0): ${ancestor.stderr.trim()}`,
        );
      const list = git(repoRoot, ["rev-list", "--first-parent", "--reverse", `${base}..${until}`]);
      if (list.status !== 0) throw new UserError(`git rev-list failed: ${list.stderr.trim()}`);
      return list.stdout.split("\n").filter(Boolean);
    },
    async treeAt(sha) {
      if (sha === head) return loadDeployments(repoRoot, environment);
      let tree = trees.get(sha);
      if (!tree) {
        const dir = join(workDir, "trees", sha);
        mkdirSync(dir, { recursive: true });
        const archive = join(workDir, "trees", `${sha}.tar`);
        for (const [cmd, args, cwd] of [
          ["git", ["archive", "--format=tar", "-o", archive, sha], repoRoot],
          ["tar", ["-xf", archive, "-C", dir], repoRoot],
        ] as const) {
          const r = spawnSync(cmd, [...args], { cwd, encoding: "utf8" });
          if (r.status !== 0) throw new UserError(`cannot export ${sha}: ${r.stderr}`);
        }
        tree = loadDeployments(dir, environment, repoRoot);
        trees.set(sha, tree);
      }
      return tree;
    },
  };
}
