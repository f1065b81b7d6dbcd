import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { ProviderRequirement } from "@tandem/module-kit";
import { UsageError } from "./errors.ts";

/** What the composer needs of the kit besides the modules. */
export interface Toolchain {
  readonly requiredVersion: string;
  readonly awsProvider: ProviderRequirement;
}

export type ToolName = "terraform" | "tofu";

/** The registry each tool names `hashicorp/aws` under: a lock entry counts only for its own. */
export const PROVIDER_REGISTRY: Readonly<Record<ToolName, string>> = {
  terraform: "registry.terraform.io",
  tofu: "registry.opentofu.org",
};

/** The manifest key that pins each tool's version. */
export const TOOL_PIN: Readonly<Record<ToolName, "terraform" | "opentofu">> = {
  terraform: "terraform",
  tofu: "opentofu",
};

/** The committed provider lock of an environment, relative to the repository root. */
export const lockFilePath = (environment: string) =>
  `environments/${environment}.terraform.lock.hcl`;

/** What a mismatch tells the operator to do. */
export const bumpInstruction = (environment: string) =>
  `run \`tandem toolchain lock --env ${environment}\` and commit the pin with the lock file it writes, in a pull request of its own`;

export interface LockedProvider {
  /** `registry.terraform.io/hashicorp/aws` */
  readonly address: string;
  readonly version: string;
  readonly hashes: readonly string[];
}

const BLOCK = /^provider "([^"]+)" \{\n([\s\S]*?)^\}\n?/gm;

/** The provider blocks of a `.terraform.lock.hcl` as `terraform providers lock` writes them. */
export function parseLock(text: string): LockedProvider[] {
  return [...text.matchAll(BLOCK)].map(([, address, body]) => ({
    address: address!,
    version: /^\s*version\s*=\s*"([^"]*)"/m.exec(body!)?.[1] ?? "",
    hashes: [...body!.matchAll(/"((?:h1|zh):[^"]+)"/g)].map((m) => m[1]!),
  }));
}

/** The hashicorp/aws entries of a lock: one per registry it was locked for. */
export const awsEntries = (locks: readonly LockedProvider[]) =>
  locks.filter((l) => /^[^/]+\/hashicorp\/aws$/.test(l.address));

/**
 * Why an environment's committed lock does not fit its pin, or undefined: it must lock
 * hashicorp/aws, every entry at the pinned version, each with its hashes.
 */
export function lockProblem(
  environment: string,
  pinned: string,
  text: string | undefined,
): string | undefined {
  const file = lockFilePath(environment);
  const fix = bumpInstruction(environment);
  if (text === undefined) return `${file} is missing: ${fix}`;
  const aws = awsEntries(parseLock(text));
  if (aws.length === 0) return `${file} locks no hashicorp/aws provider: ${fix}`;
  const other = aws.find((l) => l.version !== pinned);
  if (other)
    return `is ${pinned} but ${file} locks ${other.address} ${other.version || "(no version)"}: ${fix}`;
  const unhashed = aws.find((l) => l.hashes.length === 0);
  if (unhashed) return `${file} has no hashes for ${unhashed.address}: ${fix}`;
  return undefined;
}

/**
 * The lock one tool reads: only the entries of its own registry. Terraform and OpenTofu name
 * hashicorp/aws under different registries, and `init -lockfile=readonly` refuses a lock with an
 * entry the configuration does not use, so a root gets the lock of the tool that runs it.
 */
export function lockForTool(text: string, tool: ToolName): string {
  const registry = `${PROVIDER_REGISTRY[tool]}/`;
  const kept = [...text.matchAll(BLOCK)].filter(([, address]) => address!.startsWith(registry));
  return `${LOCK_HEADER}${kept.map(([block]) => `\n${block.trimEnd()}\n`).join("")}`;
}

export const LOCK_HEADER =
  "# This file is maintained by `tandem toolchain lock` (terraform and tofu providers lock).\n# Manual edits may be lost in future updates.\n";

export interface LockOptions {
  /** A filesystem mirror holding `registry.terraform.io/hashicorp/aws/<version>/<platform>/`. */
  mirror?: string;
  /** Platforms to hash; `linux_amd64` (GitHub's runners) by default. */
  platforms?: readonly string[];
  /** The binary of each tool; a tool without one is not locked for. */
  bins: Partial<Record<ToolName, string>>;
  /** Scratch space, removed by the caller. */
  scratch: string;
}

/**
 * The lock file of `hashicorp/aws` at `version` for each given tool, as each tool's own
 * `providers lock` computes it (from the mirror, or the registry), entries in address order.
 */
export function providerLock(version: string, options: LockOptions): string {
  const blocks = (Object.keys(options.bins) as ToolName[]).sort().flatMap((tool) => {
    const dir = join(options.scratch, tool);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({
        terraform: { required_providers: { aws: { source: "hashicorp/aws", version } } },
      }),
    );
    const args = ["providers", "lock", "-no-color"];
    for (const platform of options.platforms ?? ["linux_amd64"]) args.push(`-platform=${platform}`);
    if (options.mirror) args.push(`-fs-mirror=${toolMirror(options.mirror, tool, dir)}`);
    const run = spawnSync(options.bins[tool]!, args, {
      cwd: dir,
      encoding: "utf8",
      timeout: 10 * 60_000,
      env: { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0" },
    });
    if (run.status !== 0)
      throw new UsageError(
        `${tool} providers lock failed${run.error ? `: ${run.error.message}` : ""}\n${(run.stderr || run.stdout).trim()}`,
      );
    return [...readFileSync(join(dir, ".terraform.lock.hcl"), "utf8").matchAll(BLOCK)];
  });
  blocks.sort(([, a], [, b]) => a!.localeCompare(b!));
  return `${LOCK_HEADER}${blocks.map(([block]) => `\n${block.trimEnd()}\n`).join("")}`;
}

/**
 * The mirror as `tool` reads it: OpenTofu looks for hashicorp/aws under its own registry's
 * folder, so that folder links to the same packages (the hashes are of the same files).
 */
function toolMirror(mirror: string, tool: ToolName, scratch: string): string {
  if (tool === "terraform") return mirror;
  const upstream = join(mirror, PROVIDER_REGISTRY.terraform, "hashicorp", "aws");
  const linked = join(scratch, "mirror");
  for (const version of existsSync(upstream) ? readdirSync(upstream) : []) {
    const target = join(linked, PROVIDER_REGISTRY.tofu, "hashicorp", "aws", version);
    mkdirSync(target, { recursive: true });
    for (const platform of readdirSync(join(upstream, version)))
      symlinkSync(join(upstream, version, platform), join(target, platform));
  }
  return linked;
}
