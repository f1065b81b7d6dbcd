import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO } from "../helpers.ts";

export const WORKFLOWS = join(REPO, ".github", "workflows");
export const SIX = ["ci.yml", "plan.yml", "apply.yml", "drift.yml", "drill.yml", "release.yml"];

export interface Step {
  uses?: string;
  run?: string;
  id?: string;
  if?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
}

export interface Job {
  permissions?: Record<string, string> | string;
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress": boolean | string };
  strategy?: { "fail-fast"?: boolean; matrix?: Record<string, unknown> };
  needs?: string | string[];
  if?: string;
  steps: Step[];
}

export interface Workflow {
  file: string;
  text: string;
  name: string;
  on: Record<string, unknown>;
  permissions: unknown;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

/** Every workflow, read as YAML (`on` stays a key: the yaml package reads YAML 1.2). */
export function workflows(): Workflow[] {
  return readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith(".yml"))
    .sort()
    .map((file) => {
      const text = readFileSync(join(WORKFLOWS, file), "utf8");
      return { file, text, ...(parse(text) as Omit<Workflow, "file" | "text">) };
    });
}

export function workflow(file: string): Workflow {
  const found = workflows().find((w) => w.file === file);
  if (!found) throw new Error(`no ${file}`);
  return found;
}

/** Local composite actions under .github/actions/, by `uses:` path. */
export function localActions(): Map<string, { text: string; steps: Step[] }> {
  const dir = join(REPO, ".github", "actions");
  return new Map(
    readdirSync(dir).map((name) => {
      const text = readFileSync(join(dir, name, "action.yml"), "utf8");
      const parsed = parse(text) as { runs: { steps: Step[] } };
      return [`./.github/actions/${name}`, { text, steps: parsed.runs.steps }];
    }),
  );
}

/** A job's steps with local composite actions expanded (what the job really runs). */
export function expandedSteps(job: Job): Step[] {
  const local = localActions();
  return job.steps.flatMap((step) => [step, ...(local.get(step.uses ?? "")?.steps ?? [])]);
}
