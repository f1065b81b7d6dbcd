/*
 * The DR posture check on an in-memory world: as the manifest says after a clean start, and
 * each way it is not — a detached cluster, a writer in the other region after a failover, an
 * unhealthy check, a flag left set, a region that answers nothing.
 */
import { RemoveFromGlobalClusterCommand } from "@aws-sdk/client-rds";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkPosture, postureMarkdown, type PostureReport } from "../src/posture.ts";
import { drillTargets, loadDrillEnvironment, type DrillTargets } from "../src/targets.ts";
import { FakeWorld } from "./fake-world.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
let targets: DrillTargets;
let world: FakeWorld;
let primary: string;
let secondary: string;

beforeAll(async () => {
  targets = await drillTargets(root, loadDrillEnvironment(root, "staging"));
  ({ primary, secondary } = targets.regions);
}, 60_000);

afterEach(() => world?.stop());

async function posture(
  arrange: (world: FakeWorld) => Promise<void> | void = () => {},
  on: DrillTargets = targets,
) {
  world = new FakeWorld(on);
  await world.start();
  await arrange(world);
  return checkPosture(world, on);
}

const problems = (report: PostureReport) =>
  report.findings.filter((f) => !f.ok).map((f) => `${f.check}: ${f.detail}`);

describe("checkPosture", () => {
  it("finds everything as the manifest says on a clean environment", async () => {
    const report = await posture();
    expect(problems(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.writerRegion).toBe(primary);
    expect(report.findings.map((f) => f.check)).toEqual([
      "global cluster",
      "writer region",
      `${primary} cluster`,
      `${secondary} cluster`,
      `${secondary} replication lag`,
      `${primary} health check`,
      `${secondary} health check`,
      `drill flag in ${primary}`,
      `drill flag in ${secondary}`,
    ]);
    expect(postureMarkdown(report)).toContain("✅ as the manifest says");
  });

  it("reports a detached cluster, as RemoveFromGlobalCluster leaves it", async () => {
    const report = await posture(async (w) => {
      await w.clients(secondary).rds.send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: targets.globalClusterIdentifier,
          DbClusterIdentifier: w.arns.secondary,
        }),
      );
    });
    expect(report.ok).toBe(false);
    expect(problems(report)).toEqual([
      `${secondary} cluster: ${targets.clusterIdentifier} is detached from ${targets.globalClusterIdentifier} (a standalone cluster, writable once promoted): nothing replicates to or from it, and the plan's ignore_changes on global_cluster_identifier hides it`,
    ]);
    expect(postureMarkdown(report)).toContain("❌ 1 problem(s)");
  });

  it("reports the writer in the secondary after a failover, and the old primary still resyncing", async () => {
    const report = await posture(async (w) => {
      w.aurora.move(w.arns.secondary, true);
      await w.clock.sleep(60_000);
    });
    expect(report.writerRegion).toBe(secondary);
    expect(problems(report)).toEqual([
      `writer region: ${secondary} writes, but the manifest says ${primary}: after a failover set database.writer: ${secondary} before applying a regional root, or switch back (docs/runbook.md)`,
      `${primary} cluster: secondary, resyncing, pending-resync`,
    ]);
  });

  it("holds the writer to database.writer once the manifest says the secondary writes", async () => {
    const failedOver = { ...targets, writerRegion: secondary };
    const writerFinding = (report: PostureReport) =>
      report.findings.find((f) => f.check === "writer region");
    const after = await posture(async (w) => {
      w.aurora.move(w.arns.secondary, true);
      await w.clock.sleep(600_000);
    }, failedOver);
    expect(after.manifestWriter).toBe(secondary);
    expect(writerFinding(after)).toEqual({
      check: "writer region",
      ok: true,
      detail: `${secondary}, as the manifest says (database.writer: failed over, not failed back)`,
    });
    world.stop();
    // Switched back while the manifest still says the secondary writes.
    expect(writerFinding(await posture(() => {}, failedOver))).toEqual({
      check: "writer region",
      ok: false,
      detail: `${primary} writes, but the manifest says ${secondary} (database.writer): after the switchover back, remove database.writer (docs/runbook.md)`,
    });
  });

  it("reports a flag left set and the health check it fails", async () => {
    const report = await posture(async (w) => {
      w.parameters.set(`${secondary}/${targets.flagParameterName}`, "true");
      const { interval, failureThreshold } = targets.healthCheck;
      await w.clock.sleep((interval * failureThreshold + 1) * 1000);
    });
    expect(problems(report)).toEqual([
      expect.stringMatching(
        new RegExp(`^${secondary} health check: \\S+: 0 of 3 checkers report healthy`),
      ),
      `drill flag in ${secondary}: true: ${secondary}'s /health fails on purpose; a drill is running, or one left it set`,
    ]);
  });

  it("keeps checking what it can with the primary's region lost (Route 53's control plane with it)", async () => {
    const report = await posture((w) => void w.lost.add(primary));
    const lost = `could not be read: read ECONNRESET (${primary} is lost)`;
    expect(problems(report)).toEqual([
      `${primary} cluster: ${lost}`,
      `health checks: ${lost}`,
      `drill flag in ${primary}: ${lost}`,
    ]);
    // The global cluster was read in the secondary's region.
    expect(report.writerRegion).toBe(primary);
  });
});
