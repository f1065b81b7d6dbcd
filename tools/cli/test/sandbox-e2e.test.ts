import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  findTool,
  sandboxDir,
  sandboxUnavailable,
  type SandboxReport,
  type ToolName,
} from "@tandem/sandbox";
import { run } from "../src/cli.ts";

/**
 * `tandem sandbox apply --env staging --json` for real, once with each tool, side by side
 * (each sandbox has its own emulator): every root applied in order on moto, then re-planned.
 */
const repoRoot = join(import.meta.dirname, "../../..");
const ENVIRONMENT = "staging";
const TEN_MINUTES = 600_000;

function skipReason(tool: ToolName): string | undefined {
  if (!findTool(tool, repoRoot)) {
    return `no ${tool} binary (PATH, TANDEM_${tool.toUpperCase()}_BIN or .tools/bin)`;
  }
  return sandboxUnavailable(repoRoot);
}

async function tandem(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: (text: string) => void (stdout += text),
    stderr: (text: string) => void (stderr += text),
    cwd: repoRoot,
    env: process.env,
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

/**
 * What git sees where the sandbox could write by mistake: beside the modules the roots call, the
 * manifests, its own sources. Ignored files are left out: tasks running beside this test write
 * caches there.
 */
const sourceTreeStatus = () =>
  execFileSync(
    "git",
    [
      "status",
      "--porcelain",
      "--untracked-files=all",
      "--",
      "modules",
      "environments",
      "tools/sandbox",
    ],
    {
      cwd: repoRoot,
      encoding: "utf8",
    },
  );

describe.concurrent("the sandbox applies staging", () => {
  for (const tool of ["terraform", "tofu"] as const) {
    const reason = skipReason(tool);
    if (reason) console.warn(`sandbox e2e with ${tool} skipped: ${reason}`);
    test.skipIf(reason)(`with ${tool}`, { timeout: 3 * TEN_MINUTES }, async () => {
      const name = `e2e-${tool}`;
      await tandem(["sandbox", "down", "--name", name]);
      rmSync(sandboxDir(repoRoot, name), { recursive: true, force: true });
      const before = sourceTreeStatus();

      const result = await tandem([
        "sandbox",
        "apply",
        "--env",
        ENVIRONMENT,
        "--tool",
        tool,
        "--name",
        name,
        "--json",
      ]);
      expect(result.stdout, `no report; stderr:\n${result.stderr}`).toMatch(/^\{/);
      const report = JSON.parse(result.stdout) as SandboxReport;
      const motoPid = (
        JSON.parse(readFileSync(join(sandboxDir(repoRoot, name), "moto.json"), "utf8")) as {
          pid: number;
        }
      ).pid;
      try {
        expect(
          report.roots.flatMap((r) => r.unexpected),
          result.stderr,
        ).toEqual([]);
        expect(result.code).toBe(0);
        expect(report).toMatchObject({ environment: ENVIRONMENT, tool, ok: true });
        const deployments = JSON.parse(
          readFileSync(
            join(
              sandboxDir(repoRoot, name),
              "tree/dist/environments",
              ENVIRONMENT,
              "deployments.json",
            ),
            "utf8",
          ),
        ) as { deployments: { name: string }[] };
        // Bootstrap first, then deployments.json's order: primary, secondary, global.
        expect(report.roots.map((r) => r.name)).toEqual([
          "bootstrap",
          ...deployments.deployments.map((d) => d.name),
        ]);
        for (const root of report.roots) {
          expect(root.planned, root.name).toBeGreaterThan(10);
          expect(root.created, root.name).toBe(root.planned);
          // What a re-plan still wants is a listed gap of moto, never a perpetual diff of ours.
          for (const change of root.replan) expect(change.gap, change.address).toBeDefined();
        }
        expect(report.roots.find((r) => r.name === "us-west-2")!.gaps).toContain(
          "dynamodb-replica",
        );
      } finally {
        expect((await tandem(["sandbox", "down", "--name", name])).stdout).toContain("stopped");
      }
      expect(() => process.kill(motoPid, 0)).toThrow(); // nothing left running
      expect(sourceTreeStatus()).toBe(before); // only ignored dist/ and .venv are written
      rmSync(sandboxDir(repoRoot, name), { recursive: true, force: true });
    });
  }
});
