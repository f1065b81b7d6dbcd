import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  findTool,
  SHARED_ENVIRONMENT,
  sharedSandbox,
  sharedSandboxName,
  sandboxUnavailable,
  type ToolName,
} from "@tandem/sandbox";
import { tandem as runTandem } from "./e2e/scratch.ts";

/**
 * Staging applied on moto, once with each tool, side by side: the shared sandbox of each tool
 * (every root applied in order, then re-planned), which the deploy action's tests use too. The
 * test command stops the emulators when the suite ends.
 */
const repoRoot = join(import.meta.dirname, "../../..");
const TEN_MINUTES = 600_000;

function skipReason(tool: ToolName): string | undefined {
  if (!findTool(tool, repoRoot)) {
    return `no ${tool} binary (PATH, TANDEM_${tool.toUpperCase()}_BIN or .tools/bin)`;
  }
  return sandboxUnavailable(repoRoot);
}

const tandem = (args: string[]) => runTandem(repoRoot, args, process.env);

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

describe.concurrent("the shared sandbox applies staging", () => {
  for (const tool of ["terraform", "tofu"] as const) {
    const reason = skipReason(tool);
    if (reason) console.warn(`sandbox e2e with ${tool} skipped: ${reason}`);
    test.skipIf(reason)(`with ${tool}`, { timeout: 3 * TEN_MINUTES }, async () => {
      const before = sourceTreeStatus();
      const { prepared, report } = await sharedSandbox(repoRoot, tool);
      expect(
        report.roots.flatMap((r) => r.unexpected),
        JSON.stringify(report.roots, null, 2),
      ).toEqual([]);
      expect(report).toMatchObject({ environment: SHARED_ENVIRONMENT, tool, ok: true });
      const deployments = JSON.parse(
        readFileSync(
          join(prepared.tree, "dist/environments", SHARED_ENVIRONMENT, "deployments.json"),
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
      // Only the bootstrap uses the admin credentials: every other root is applied as the
      // apply role and re-planned as the plan role, with no call denied.
      const [bootstrap, ...roots] = report.roots;
      expect(bootstrap!.ranAs).toEqual({ apply: "admin" });
      for (const root of roots) {
        expect(root.ranAs, root.name).toEqual({
          apply: `arn:aws:iam::${report.account}:role/tandem-${SHARED_ENVIRONMENT}-apply`,
          replan: `arn:aws:iam::${report.account}:role/tandem-${SHARED_ENVIRONMENT}-plan`,
        });
        for (const step of ["apply", "replan"] as const) {
          expect(root.calls[step]?.allowed, `${root.name} ${step}`).toBeGreaterThan(0);
          expect(root.calls[step]?.denied, `${root.name} ${step}`).toBe(0);
        }
        // The root's own folder is initialized for the commands and tests that run there.
        expect(
          existsSync(join(prepared.roots.find((r) => r.name === root.name)!.dir, ".terraform")),
        ).toBe(true);
      }
      expect(report.roots.find((r) => r.name === "us-west-2")!.gaps).toContain("dynamodb-replica");
      expect(sourceTreeStatus()).toBe(before); // only ignored dist/ and .venv are written

      // The CLI sees the emulator the sandbox was applied on.
      const status = await tandem(["sandbox", "status", "--name", sharedSandboxName(tool)]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(prepared.server.endpoint);

      // One root as the runbook plans it, as the plan role, through a gateway of the command.
      const root = await tandem([
        ...["sandbox", "plan", "--env", SHARED_ENVIRONMENT, "--root", "global"],
        ...["--tool", tool, "--name", sharedSandboxName(tool), "--json"],
      ]);
      expect(root.code, root.stderr).toBe(0);
      expect(JSON.parse(root.stdout)).toMatchObject({
        ok: true,
        ranAs: `arn:aws:iam::${report.account}:role/tandem-${SHARED_ENVIRONMENT}-plan`,
        calls: { denied: 0 },
      });
    });
  }
});
