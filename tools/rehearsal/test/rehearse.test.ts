/**
 * The default scenario, end to end, against the shared applied sandbox (a copy of its state) and
 * the GitHub double: plan.yml on a pull request adding an alarm email to staging, a second push,
 * apply.yml on the merge, drift.yml clean and then after a change out of band, drill.yml by
 * dispatch on the drill's emulation with a token from the issuer's host, passing and then
 * failing (the drill issue opened); and a
 * deliberately broken plan.yml (its plan job without id-token: write), which fails the
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
      "plans a pull request, edits its comment, applies the merge, reports drift only after a change out of band, and drills",
      { timeout: 3_600_000 },
      async () => {
        const report = await rehearse({ repoRoot: REPO_ROOT, environment: "staging", progress });
        console.log(JSON.stringify(report, null, 2));
        expect(report.runs.map((r) => r.problems)).toEqual([[], [], [], [], [], [], []]);
        expect(report.ok).toBe(true);
        const [opened, pushed, merged, clean, drifted, drilled, failedDrill] = report.runs;
        expect(report.runs.map((r) => `${r.workflow} ${r.event}`)).toEqual([
          "plan.yml pull_request",
          "plan.yml pull_request",
          "apply.yml push",
          "drift.yml workflow_dispatch",
          "drift.yml workflow_dispatch",
          "drill.yml workflow_dispatch",
          "drill.yml workflow_dispatch",
        ]);
        expect(opened!.jobs.map((j) => [j.name, j.result])).toEqual([
          ["affected roots", "success"],
          ["plan staging", "success"],
        ]);
        const repo = "/repos/acme-payments/payments-infra";
        const comment = (p: { method: string; path: string }) =>
          p.path.startsWith(`${repo}/issues/`) && p.path.includes("comments");
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
        // The merge: the apply job in the environment, the deployment opened and ended, the
        // outcome written on the pull request's comment.
        expect(merged!.jobs.map((j) => [j.name, j.result])).toEqual([
          ["affected environments", "success"],
          ["apply staging", "success"],
        ]);
        const writes = merged!.posted.map((p) => `${p.method} ${p.path.replace(repo, "")}`);
        expect(writes).toContain("POST /deployments");
        expect(writes.filter((w) => /^PATCH \/issues\/comments\/\d+$/.test(w))).not.toEqual([]);
        expect(clean!.posted).toEqual([]);
        expect(drifted!.posted.map((p) => `${p.method} ${p.path.replace(repo, "")}`)).toEqual([
          "POST /issues",
        ]);
        expect(drifted!.posted[0]!.summary).toMatch(/staging/);
        // The drill: every job succeeded (the leg's own check read the drill's summary and its
        // JSON artifact: passed, RTO and RPO within the objectives); the artifact went up and
        // came back down in the report job, which wrote nothing for a passed drill.
        expect(drilled!.jobs.map((j) => [j.name, j.result])).toEqual([
          ["environments", "success"],
          ["drill staging", "success"],
          ["report staging", "success"],
        ]);
        expect(drilled!.posted.map((p) => p.path.replace(/^.*\//, ""))).toEqual([
          "CreateArtifact",
          "FinalizeArtifact",
          "ListArtifacts",
          "ListArtifacts",
          "GetSignedArtifactURL",
        ]);
        // A failing drill (the secondary unhealthy at preflight): its report still uploaded, the
        // drill issue opened by the report job, and the run failed, as the leg expects.
        expect(failedDrill!.conclusion).toBe("failure");
        expect(failedDrill!.jobs.map((j) => [j.name, j.result])).toEqual([
          ["environments", "success"],
          ["drill staging", "failure"],
          ["report staging", "failure"],
        ]);
        const issue = failedDrill!.posted.find((p) => p.path === `${repo}/issues`);
        expect(issue?.summary).toMatch(/^The DR drill of \*\*staging\*\* failed at `preflight`/);
        console.log(
          `drill.yml by dispatch: ${drilled!.seconds} s, failing: ${failedDrill!.seconds} s`,
        );
        expect(report.standIns).toHaveLength(9);
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
