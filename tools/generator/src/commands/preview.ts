import { parseCommandArgs } from "../args.ts";
import type { Deployment } from "../compose/deployments.ts";
import { environmentFiles } from "../environments.ts";
import { withTreeAt } from "../git.ts";
import type { Command } from "../io.ts";
import { failoverBudget } from "../manifest/index.ts";
import type { Domain, Manifest } from "../manifest/schema.ts";
import { synthesizeTree, synthesizeValid } from "../synth.ts";

const USAGE = "tandem preview [--env <name>]... [--base <ref>]";

/** What a reviewer reads before any plan exists: no credentials, no Terraform. */
export const previewCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    { env: { type: "string", multiple: true }, base: { type: "string" } },
    USAGE,
  );
  const files = environmentFiles(io.cwd, values.env);
  const head = await synthesizeTree(io.cwd, files);
  const base = values.base
    ? // The base's own copies of these manifests; one it lacks shows as all-new.
      await withTreeAt(io.cwd, values.base, (root) =>
        synthesizeValid(
          root,
          environmentFiles(root).filter((file) => files.includes(file)),
        ),
      )
    : undefined;
  for (const { name, manifest, deployments } of head.environments) {
    io.stdout(`${name} (${manifest.tier}): ${manifest.domain}\n`);
    io.stdout(indent(budgetLines(manifest), 2));
    for (const deployment of deployments) {
      const before = base
        ?.find((e) => e.name === name)
        ?.deployments.find((d) => d.name === deployment.name);
      io.stdout(indent(deploymentLines(deployment, before, base !== undefined), 2));
    }
  }
  return 0;
};

function budgetLines(manifest: Manifest): string[] {
  const budget = failoverBudget(manifest);
  const terms = budget.terms.map((t) => `${t.label} ${seconds(t.seconds)}`).join(" + ");
  const verdict = budget.total <= manifest.objectives.rto ? "fits" : "EXCEEDS";
  return [
    `RTO ${seconds(manifest.objectives.rto)}: ${terms} = ${seconds(budget.total)} (${verdict})`,
    `RPO ${seconds(manifest.objectives.rpo)}: Aurora replication-lag alarm at ${manifest.objectives.rpo * 1000} ms`,
  ];
}

function deploymentLines(
  deployment: Deployment,
  before: Deployment | undefined,
  compared: boolean,
): string[] {
  const status = !compared
    ? ""
    : !before
      ? " [new]"
      : before.sha256 === deployment.sha256
        ? " [unchanged]"
        : " [changed]";
  const modules = Object.entries(deployment.modules)
    .map(([d, v]) => `${d}@${v}`)
    .join(" ");
  const counts = resourceCounts(deployment);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const where = [deployment.role, deployment.region].filter((part) => part !== deployment.name);
  const lines = [
    `${deployment.name} (${where.join(", ")}) sha256 ${deployment.sha256.slice(0, 12)}${status}`,
    `  modules: ${modules}`,
    ...wrap(
      `${total} resource blocks:`,
      [...counts].map(([type, n]) => `${type} x${n}`),
    ),
  ];
  if (before && before.sha256 !== deployment.sha256)
    lines.push(...changeLines(before, deployment).map((l) => `  ${l}`));
  return lines;
}

/** Resource blocks by type across the modules a root calls (a counted block is one block). */
function resourceCounts(deployment: Deployment): Map<string, number> {
  const counts = new Map<string, number>();
  for (const address of resourceBlocks(deployment).keys()) {
    const type = address.split(".")[2]!;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/** `module.<domain>.<type>.<name>` -> block JSON, for every resource a root manages. */
function resourceBlocks(deployment: Deployment): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const domain of Object.keys(deployment.modules) as Domain[]) {
    const json = deployment.resolved[domain]!.files.json;
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, block] of Object.entries(byName))
        blocks.set(`module.${domain}.${type}.${name}`, JSON.stringify(block));
    }
  }
  return blocks;
}

/**
 * `label item, item, ...` in printed lines of at most 100 columns (the section adds 2 columns
 * of indent and each line but the last a comma), continuation lines indented.
 */
function wrap(label: string, items: string[], width = 97): string[] {
  const lines = [`  ${label}`];
  for (const item of items) {
    const last = lines.length - 1;
    const joined = `${lines[last]}${lines[last]!.endsWith(":") ? " " : ", "}${item}`;
    if (joined.length <= width || lines[last]!.endsWith(":")) lines[last] = joined;
    else lines.push(`    ${item}`);
  }
  return lines.map((line, i) => (i < lines.length - 1 ? `${line},` : line));
}

/** Added, removed and changed resource blocks and module inputs between two versions of a root. */
function changeLines(before: Deployment, after: Deployment): string[] {
  const old = resourceBlocks(before);
  const now = resourceBlocks(after);
  const lines: string[] = [];
  for (const [address, block] of now) {
    if (!old.has(address)) lines.push(`+ ${address}`);
    else if (old.get(address) !== block) lines.push(`~ ${address}`);
  }
  for (const address of old.keys()) if (!now.has(address)) lines.push(`- ${address}`);
  const oldCalls = before.root.module as Record<string, Record<string, unknown>>;
  for (const [domain, call] of Object.entries(
    after.root.module as Record<string, Record<string, unknown>>,
  )) {
    const from = before.modules[domain as Domain];
    const to = after.modules[domain as Domain];
    if (from !== to) lines.push(`~ module.${domain} ${from ?? "(none)"} -> ${to}`);
    const changed = Object.keys({ ...call, ...oldCalls[domain] }).filter(
      (key) =>
        key !== "source" && JSON.stringify(call[key]) !== JSON.stringify(oldCalls[domain]?.[key]),
    );
    if (changed.length > 0) lines.push(`~ module.${domain} inputs: ${changed.join(", ")}`);
  }
  // Module versions are also a default tag; the lines above already say so.
  if (providerSettings(before) !== providerSettings(after))
    lines.push("~ provider settings (region, account or default tags)");
  if (JSON.stringify(before.root.terraform) !== JSON.stringify(after.root.terraform))
    lines.push("~ terraform settings (versions or backend)");
  return lines.length > 0
    ? lines
    : ["~ module files only (README or assets): no resource, input or setting changed"];
}

function providerSettings(deployment: Deployment): string {
  return JSON.stringify(deployment.root.provider, (key, value: unknown) =>
    key === "TandemModules" ? undefined : value,
  );
}

function indent(lines: string[], spaces: number): string {
  return lines.map((line) => `${" ".repeat(spaces)}${line}\n`).join("");
}

export function seconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h ? `${h}h` : "", m ? `${m}m` : "", s || (!h && !m) ? `${s}s` : ""].join("");
}
