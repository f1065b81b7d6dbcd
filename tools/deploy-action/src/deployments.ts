/**
 * What the action knows about roots comes from deployments.json, written by `tandem synth`:
 * names, regions, dependsOn and sha256 are read, never re-derived.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "./errors.ts";

export interface Deployment {
  name: string;
  region: string;
  role: string;
  dependsOn: string[];
  sha256: string;
  modules: Record<string, string>;
}

export interface EnvironmentDeployments {
  environment: string;
  deployments: Deployment[];
  /** Directory holding each root: `<dir>/<name>/`. */
  dir: string;
}

export function deploymentsDir(repoRoot: string, environment: string): string {
  return join(repoRoot, "dist", "environments", environment);
}

/**
 * Reads deployments.json, synthesizing the environment first when dist/ lacks it; `cliRoot` is
 * the checkout whose CLI synthesizes (another commit's tree has no installed CLI of its own).
 */
export function loadDeployments(
  repoRoot: string,
  environment: string,
  cliRoot = repoRoot,
): EnvironmentDeployments {
  const dir = deploymentsDir(repoRoot, environment);
  const file = join(dir, "deployments.json");
  if (!existsSync(file)) synthesize(repoRoot, environment, cliRoot);
  if (!existsSync(file))
    throw new UserError(`${file} is missing after \`tandem synth --env ${environment}\``);
  const parsed = JSON.parse(readFileSync(file, "utf8")) as {
    environment?: string;
    deployments?: Deployment[];
  };
  if (parsed.environment !== environment || !Array.isArray(parsed.deployments))
    throw new UserError(`${file}: not the deployments of environment ${environment}`);
  return { environment, deployments: parsed.deployments, dir };
}

function synthesize(repoRoot: string, environment: string, cliRoot: string): void {
  const cli = join(cliRoot, "tools", "cli", "bin", "tandem.mjs");
  if (!existsSync(cli))
    throw new UserError(`no deployments.json for ${environment} and no tandem CLI at ${cli}`);
  const result = spawnSync(process.execPath, [cli, "synth", "--env", environment], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 5 * 60_000,
  });
  if (result.status !== 0)
    throw new UserError(`tandem synth --env ${environment} failed:\n${result.stderr}`);
}

/** The roots named by `tandem affected --json` for this environment; all of them when absent. */
export function selectDeployments(
  all: Deployment[],
  environment: string,
  affectedJson: string,
): Deployment[] {
  if (affectedJson.trim() === "") return all;
  let parsed: unknown;
  try {
    parsed = JSON.parse(affectedJson);
  } catch (error) {
    throw new UserError(`input deployments: not JSON (${(error as Error).message})`);
  }
  const list = (parsed as { deployments?: unknown }).deployments;
  if (!Array.isArray(list))
    throw new UserError('input deployments: expected { "deployments": [...] }');
  const wanted = new Set<string>();
  for (const item of list as { environment?: unknown; name?: unknown }[]) {
    if (typeof item?.name !== "string" || typeof item.environment !== "string")
      throw new UserError("input deployments: each entry needs environment and name");
    if (item.environment !== environment) continue;
    if (!all.some((d) => d.name === item.name))
      throw new UserError(`input deployments: ${environment} has no root ${item.name}`);
    wanted.add(item.name);
  }
  return all.filter((d) => wanted.has(d.name));
}

/** Roots in dependsOn order (dependencies first); ties keep deployments.json order. */
export function applyOrder(roots: Deployment[]): Deployment[] {
  const names = new Set(roots.map((r) => r.name));
  const done = new Set<string>();
  const ordered: Deployment[] = [];
  while (ordered.length < roots.length) {
    const next = roots.find(
      (r) => !done.has(r.name) && r.dependsOn.every((d) => done.has(d) || !names.has(d)),
    );
    if (!next) throw new UserError("deployments.json: dependsOn has a cycle");
    done.add(next.name);
    ordered.push(next);
  }
  return ordered;
}
