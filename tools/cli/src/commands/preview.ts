import { parseCommandArgs } from "../args.ts";
import {
  type Deployment,
  environmentFiles,
  withTreeAt,
  rtoBudget,
  type Domain,
  type Manifest,
  instanceCounts,
  UNKNOWN,
  synthesizeAtRef,
  synthesizeTree,
} from "@tandem/generator";
import { type Command } from "../command.ts";

const USAGE = "tandem preview [--env <name>]... [--base <ref>]";
const HELP = `Per deployment of each environment: module versions, the resources it will create (count
and for_each evaluated against the inputs and the role; "?" where that needs values known only at
apply), and the RTO budget. With --base, which deployments changed since that ref and which
resource blocks were added, removed or changed. Needs no credentials and no Terraform.`;

/** What a reviewer reads before any plan exists: no credentials, no Terraform. */
export const previewCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    { env: { type: "string", multiple: true }, base: { type: "string" } },
    USAGE,
    { help: HELP },
  );
  const files = environmentFiles(io.root, values.env);
  const head = await synthesizeTree(io.root, files);
  const ref = values.base;
  const base = ref
    ? // The base's own copies of these manifests; one it lacks shows as all-new.
      await withTreeAt(io.root, ref, (root) =>
        synthesizeAtRef(
          root,
          ref,
          environmentFiles(root).filter((file) => files.includes(file)),
        ),
      )
    : undefined;
  for (const { name, manifest, modules, deployments } of head.environments) {
    io.stdout(`${name} (${manifest.tier}): ${manifest.domain}\n`);
    io.stdout(indent(budgetLines(manifest, modules.dns), 2));
    for (const deployment of deployments) {
      const before = base
        ?.find((e) => e.name === name)
        ?.deployments.find((d) => d.name === deployment.name);
      io.stdout(indent(deploymentLines(deployment, before, base !== undefined), 2));
    }
  }
  return 0;
};

function budgetLines(manifest: Manifest, dns: string): string[] {
  const budget = rtoBudget(manifest, dns);
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
  const { counts, total, unknown } = resourceCounts(deployment);
  const where = [deployment.role, deployment.region].filter((part) => part !== deployment.name);
  const label =
    unknown === 0
      ? `${total} resources:`
      : `${total} resources and ${unknown} block${unknown === 1 ? "" : "s"} of a count known at apply (?):`;
  const lines = [
    `${deployment.name} (${where.join(", ")}) sha256 ${deployment.sha256.slice(0, 12)}${status}`,
    `  modules: ${modules}`,
    ...wrap(
      label,
      [...counts].map(([type, n]) =>
        `${type} x${n.known}${n.unknown ? (n.known ? "+?" : "?") : ""}`.replace("x0?", "x?"),
      ),
    ),
  ];
  if (before && before.sha256 !== deployment.sha256)
    lines.push(...changeLines(before, deployment).map((l) => `  ${l}`));
  return lines;
}

interface TypeCount {
  known: number;
  unknown: number;
}

/**
 * Resources each type will have in this root: every block's count or for_each evaluated
 * against the inputs the root passes its module (so a block that the role or an input turns
 * off counts 0); blocks whose count needs values known only at apply are counted apart.
 */
function resourceCounts(deployment: Deployment): {
  counts: Map<string, TypeCount>;
  total: number;
  unknown: number;
} {
  const counts = new Map<string, TypeCount>();
  let total = 0;
  let unknown = 0;
  const calls = deployment.root.module as Record<string, Record<string, unknown>>;
  for (const domain of Object.keys(deployment.modules) as Domain[]) {
    const json = deployment.resolved[domain]!.files.json;
    for (const [address, n] of instanceCounts(json, calls[domain] ?? {})) {
      const type = address.split(".")[0]!;
      const entry = counts.get(type) ?? { known: 0, unknown: 0 };
      if (n === UNKNOWN) {
        entry.unknown += 1;
        unknown += 1;
      } else {
        entry.known += n;
        total += n;
      }
      counts.set(type, entry);
    }
  }
  const shown = [...counts].filter(([, n]) => n.known > 0 || n.unknown > 0);
  return { counts: new Map(shown.sort(([a], [b]) => a.localeCompare(b))), total, unknown };
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
