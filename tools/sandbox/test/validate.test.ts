import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { runTool } from "../src/run.ts";
import { writeTree } from "../src/sandbox.ts";
import { findTool, providerEnv } from "../src/toolchain.ts";

/** `terraform validate` of every module and every root `tandem synth` writes, with the real provider. */
const repoRoot = join(import.meta.dirname, "../../..");
const terraform = findTool("terraform", repoRoot);
const reason = terraform ? undefined : "no terraform binary";
if (reason) console.warn(`terraform validate of the synthesized roots skipped: ${reason}`);

let tree: string;
let dirs: string[];
let env: Record<string, string>;

beforeAll(async () => {
  if (reason) return;
  tree = mkdtempSync(join(tmpdir(), "tandem-validate-"));
  const { files } = await synthesizeTree(repoRoot, environmentFiles(repoRoot));
  writeTree(repoRoot, tree, files);
  dirs = [...files.keys()].filter((p) => p.endsWith("/main.tf.json")).map((p) => dirname(p));
  env = {
    PATH: process.env.PATH ?? "",
    HOME: tree,
    ...providerEnv(tree),
    CHECKPOINT_DISABLE: "1",
  };
});

afterAll(() => {
  if (tree) rmSync(tree, { recursive: true, force: true });
});

describe.skipIf(reason)("terraform validate", () => {
  test(
    "every module, environment root and bootstrap root is valid",
    { timeout: 600_000 },
    async () => {
      expect(dirs.filter((d) => /^modules\/[a-z]+$/.test(d))).toHaveLength(6);
      // The identity parts (each module's IAM, called by the identity roots) are modules too.
      expect(dirs.filter((d) => /^modules\/[a-z]+\/identity$/.test(d)).length).toBeGreaterThan(0);
      expect(dirs.filter((d) => d.startsWith("environments/")).length).toBeGreaterThanOrEqual(9);
      expect(dirs.some((d) => d.startsWith("bootstrap/"))).toBe(true);
      const results = await inBatches(dirs, 4, async (dir) => {
        const cwd = join(tree, "dist", dir);
        const options = { cwd, env, timeoutMs: 180_000 };
        const init = await runTool(
          terraform!.bin,
          ["init", "-backend=false", "-input=false", "-no-color"],
          options,
        );
        if (init.code !== 0) return { dir, valid: false, errors: [init.stderr.trim()] };
        const validate = await runTool(terraform!.bin, ["validate", "-json", "-no-color"], options);
        const out = JSON.parse(validate.stdout) as {
          valid: boolean;
          diagnostics: { severity: string; summary: string }[];
        };
        const errors = out.diagnostics.filter((d) => d.severity === "error").map((d) => d.summary);
        return { dir, valid: out.valid, errors };
      });
      expect(results.filter((r) => !r.valid)).toEqual([]);
    },
  );
});

async function inBatches<T, R>(
  items: T[],
  size: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size)
    results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}
