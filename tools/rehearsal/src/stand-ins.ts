/**
 * The third-party actions a workflow names, each mapped to its local stand-in
 * (tools/rehearsal/stand-ins/<owner>/<repo>): there is no network to github.com, and act fetches
 * every action a composite action names before running it, even one under a false `if:`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { RehearsalError } from "./errors.ts";

export const STAND_INS = join("tools", "rehearsal", "stand-ins");

export interface PinnedAction {
  /** `owner/repo@ref` as act's --local-repository names it. */
  repository: string;
  /** Where it is named, as file:line. */
  at: string;
}

/** Every `uses: owner/repo[/path]@ref` in `files`, and in the repository's local actions they use. */
export function pinnedActions(repoRoot: string, workflows: string[]): PinnedAction[] {
  const files = [...workflows.map((w) => join(repoRoot, w)), ...localActions(repoRoot)];
  return files.flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .flatMap((line, index) => {
        const uses = /^\s*(?:-\s*)?uses:\s*["']?([^\s"'#]+)/.exec(line)?.[1];
        if (!uses || uses.startsWith("./") || uses.startsWith("docker://")) return [];
        const [name, ref] = uses.split("@") as [string, string | undefined];
        const [owner, repo] = name.split("/");
        return [
          {
            repository: `${owner}/${repo}@${ref ?? ""}`,
            at: `${relative(repoRoot, file)}:${index + 1}`,
          },
        ];
      }),
  );
}

function localActions(repoRoot: string): string[] {
  const dir = join(repoRoot, ".github", "actions");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => join(dir, name, "action.yml"))
    .filter((file) => existsSync(file));
}

/** act's --local-repository map for `workflows`; a missing stand-in is an error naming where it is used. */
export function standIns(repoRoot: string, workflows: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  const missing: string[] = [];
  for (const action of pinnedActions(repoRoot, workflows)) {
    const dir = join(repoRoot, STAND_INS, action.repository.split("@")[0]!);
    if (existsSync(join(dir, "action.yml"))) map[action.repository] = dir;
    else missing.push(`${action.at}: ${action.repository} has no stand-in in ${STAND_INS}`);
  }
  if (missing.length > 0) throw new RehearsalError([...new Set(missing)].join("\n"));
  return map;
}
