/**
 * The default scenario, end to end: plan.yml run by act on a pull request changing staging's
 * secondary root, against the shared applied sandbox and the GitHub double, then a second push;
 * and a deliberately broken plan.yml (its plan job without id-token: write), which fails the
 * rehearsal with the failing step's log.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sandboxUnavailable } from "@tandem/sandbox";
import { findAct, rehearse } from "../src/index.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const reason = findAct(REPO_ROOT)
  ? sandboxUnavailable(REPO_ROOT)
  : "act is not built (bash tools/setup/install-test-tools.sh go)";
if (reason) console.warn(`skipping the rehearsal: ${reason}`);

const progress = (line: string) => console.log(line);

describe.skipIf(reason !== undefined)(
  `tandem rehearse${reason ? ` (skipped: ${reason})` : ""}`,
  () => {
    it(
      "plans a pull request on the secondary root and edits its comment on a second push",
      { timeout: 3_600_000 },
      async () => {
        const report = await rehearse({ repoRoot: REPO_ROOT, environment: "staging", progress });
        console.log(JSON.stringify(report, null, 2));
        expect(report.runs.map((r) => r.problems)).toEqual([[], []]);
        expect(report.ok).toBe(true);
        const [opened, pushed] = report.runs;
        expect(opened!.jobs.map((j) => [j.name, j.result])).toEqual([
          ["affected roots", "success"],
          ["plan staging", "success"],
        ]);
        const comment = (p: { method: string; path: string }) =>
          p.path.startsWith("/repos/acme-payments/payments-infra/issues/");
        expect(opened!.posted.filter(comment).map((p) => `${p.method} ${p.status}`)).toEqual([
          "POST 201",
        ]);
        expect(opened!.posted.find(comment)!.summary).toMatch(
          /^### Plan for `staging` at `[0-9a-f]{12}`/,
        );
        expect(pushed!.posted.filter(comment).map((p) => `${p.method} ${p.status}`)).toEqual([
          "PATCH 200",
        ]);
        expect(opened!.commentAfterSeconds).toBeGreaterThan(0);
        expect(report.standIns).toHaveLength(5);
      },
    );

    it(
      "fails when plan.yml's plan job loses id-token: write, with the failing step's log",
      { timeout: 1_800_000 },
      async () => {
        const report = await rehearse({
          repoRoot: REPO_ROOT,
          environment: "staging",
          scenario: "pull-request",
          progress,
          prepare: (dir) => {
            const file = join(dir, ".github", "workflows", "plan.yml");
            const workflow = readFileSync(file, "utf8");
            const broken = workflow.replace(/^ +id-token: write.*\n/m, "");
            expect(broken).not.toBe(workflow);
            writeFileSync(file, broken);
          },
        });
        expect(report.ok).toBe(false);
        const [run] = report.runs;
        expect(run!.conclusion).toBe("failure");
        expect(run!.jobs.map((j) => [j.name, j.result])).toEqual([
          ["affected roots", "success"],
          ["plan staging", "failure"],
        ]);
        const failed = run!.problems.find((p) => p.startsWith('job "plan staging" failed at step'));
        expect(failed).toContain("./.github/actions/aws-role");
        expect(failed).toContain("lacks the permission id-token: write");
        expect(run!.posted).toEqual([]);
      },
    );
  },
);
