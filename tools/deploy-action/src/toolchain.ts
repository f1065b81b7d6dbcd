/**
 * The pinned toolchain, enforced where the action runs a tool: the binary must be the version
 * the environment's manifest pins, and `init` takes providers only as the committed lock says.
 * Both come from the tree being planned (its deployments.json and each root's lock), so every
 * merge is held to its own pins.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bumpInstruction,
  lockFilePath,
  lockForTool,
  TOOL_PIN,
  type ToolName as Tool,
} from "@tandem/generator";
import { Refusal } from "./errors.ts";

export interface Pins {
  terraform: string;
  opentofu: string;
  aws: string;
}

export interface PinnedTree {
  environment: string;
  toolchain: Pins;
}

/** The environment and pins of the tree whose deployments.json is in `treeDir`. */
export function pinnedTree(treeDir: string): PinnedTree {
  const file = join(treeDir, "deployments.json");
  const parsed = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Partial<PinnedTree>)
    : {};
  const { environment, toolchain } = parsed;
  if (typeof environment !== "string" || !toolchain)
    throw new Refusal(
      `${file} pins no toolchain: synthesize the environment with this version of tandem (\`tandem synth\`)`,
    );
  return { environment, toolchain };
}

/** Refuses a binary other than the pinned version, saying how to install or bump it. */
export function requirePinnedVersion(tool: Tool, version: string, tree: PinnedTree): void {
  const key = TOOL_PIN[tool];
  const pinned = tree.toolchain[key];
  if (version === pinned) return;
  throw new Refusal(
    `${tool} ${version} is not the ${pinned} that environments/${tree.environment}.yaml pins (toolchain.${key}): nothing was run. Install ${tool} ${pinned} (the setup action installs the pin), or move the pin to ${version} in a pull request of its own`,
  );
}

/** Leaves the root's lock with only this tool's registry entries (see lockForTool). */
export function useToolLock(rootDir: string, tool: Tool): void {
  const file = join(rootDir, ".terraform.lock.hcl");
  if (existsSync(file)) writeFileSync(file, lockForTool(readFileSync(file, "utf8"), tool));
}

const LOCK_MISMATCH =
  /dependency lock file|lock file is read-only|does not match configured version constraint|doesn't match any of the checksums|Provider dependency changes detected/i;

/** A refusal with the bump instruction when `init -lockfile=readonly` failed on the lock. */
export function lockRefusal(
  result: { stdout: string; stderr: string },
  environment: string,
): Refusal | undefined {
  const text = `${result.stderr}\n${result.stdout}`;
  if (!LOCK_MISMATCH.test(text)) return undefined;
  const reason = text
    .split("\n")
    .map((line) => line.replace(/^[│╷╵\s]+/, "").trim())
    .filter((line) => line !== "")
    .join(" ")
    .slice(-1500);
  return new Refusal(
    `the providers do not match ${lockFilePath(environment)}, so init was refused (${reason}): ${bumpInstruction(environment)}`,
  );
}
