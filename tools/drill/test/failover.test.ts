/*
 * The unplanned failover drill on an in-memory world: the primary's region lost mid-traffic,
 * the database failed over with AllowDataLoss, RPO from the client's acknowledged writes, the
 * region back and its cluster rejoined as a secondary, a switchover back. Each failure path
 * says what it left.
 */
import { FailoverGlobalClusterCommand } from "@aws-sdk/client-rds";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuroraGlobalEmulator } from "../src/emulation/aurora.ts";
import { runDrill } from "../src/engine.ts";
import { markdown, type DrillReport } from "../src/report.ts";
import { drillTargets, loadDrillEnvironment, type DrillTargets } from "../src/targets.ts";
import { FakeWorld, virtualClock } from "./fake-world.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
let targets: DrillTargets;
let world: FakeWorld;
let primary: string;
let secondary: string;

beforeAll(async () => {
  targets = await drillTargets(root, loadDrillEnvironment(root, "dev"));
  ({ primary, secondary } = targets.regions);
}, 60_000);

afterEach(() => world?.stop());

async function failover(arrange: (world: FakeWorld) => void = () => {}): Promise<DrillReport> {
  world = new FakeWorld(targets);
  arrange(world);
  await world.start();
  return runDrill(world, targets, { mode: "failover", dryRun: false, where: "an in-memory world" });
}

const steps = (report: DrillReport) => report.steps.map((s) => [s.name, s.ok]);
const detail = (report: DrillReport, step: string) =>
  report.steps.find((s) => s.name === step)!.detail.join("\n");

describe("the failover drill on an in-memory world", () => {
  it("loses the primary mid-traffic, fails over, recovers and fails back, measured", async () => {
    const report = await failover();
    expect(report.failure).toBeUndefined();
    expect(steps(report)).toEqual([
      ["preflight", true],
      ["canaries", true],
      ["lose the primary", true],
      ["fail the database over", true],
      ["verify", true],
      ["recover", true],
      ["fail back", true],
    ]);
    expect(report.passed).toBe(true);
    expect(world.outages).toEqual([`lost ${primary}`, `restored ${primary}`]);
    const { measured } = report;
    expect(measured.trafficRtoSeconds).toBeGreaterThan(measured.detectionSeconds!);
    expect(measured.databaseSwitchoverSeconds).toBeGreaterThanOrEqual(45);
    expect(measured.rpoSeconds).toBe(0);
    // The old primary is rebuilt (120 s in the model) only once its region is back.
    expect(measured.recoverySeconds).toBeGreaterThanOrEqual(120);
    expect(measured.failbackSeconds).toBeGreaterThanOrEqual(45);
    expect(report.checks.map((c) => [c.figure, c.pass])).toEqual([
      ["trafficRtoSeconds", true],
      ["databaseSwitchoverSeconds", true],
      ["rpoSeconds", true],
      ["recoverySeconds", true],
      ["failbackSeconds", true],
    ]);
    expect(detail(report, "lose the primary")).toContain(`${primary} lost`);
    expect(detail(report, "fail the database over")).toContain("FailoverGlobalCluster");
    expect(detail(report, "recover")).toContain(
      `the database writes in ${secondary}; the manifests still name ${primary} primary`,
    );
    expect(report.failover!.acknowledged).toBeGreaterThanOrEqual(6); // 3 canaries, 3 payments
    expect(report.failover!.writerWhenRegionReturned).toBe(secondary);
    expect(markdown(report)).toContain(
      `When the lost region returned, the database wrote in ${secondary}.`,
    );
    expect(report.finalState).toEqual({
      [`drill flag in ${primary}`]: "false",
      [`drill flag in ${secondary}`]: "false",
      "database writer": `${primary} (available)`,
      "global cluster members": `${primary} writer (connected), ${secondary} secondary (connected)`,
      "failover name answers from": primary,
    });
    expect(world.flag("primary")).toBe("false"); // the flag is never needed
    expect(markdown(report)).toContain("| recoverySeconds |");
  });

  it("measures RPO from acknowledged writes the survivor lacks, and sees them arrive after", async () => {
    const report = await failover((w) => (w.replicating = false));
    expect(report.passed).toBe(true);
    const lost = report.failover!;
    expect(lost.missingAtFailover).toHaveLength(lost.acknowledged);
    expect(lost.missingAtFailover[0]).toMatch(/-canary-1$/);
    expect(lost.arrivedAfterRecovery).toBe(lost.acknowledged);
    // From the first canary, the oldest unreplicated write, to the loss.
    expect(report.measured.rpoSeconds).toBeGreaterThan(0);
    expect(report.measured.rpoSeconds).toBeLessThan(targets.objectives.rpoSeconds);
    expect(markdown(report)).toContain(`missing in the survivor at failover: ${lost.acknowledged}`);
  });

  it("on AWS, which cannot lose a region on request, the flag stands in for the loss", async () => {
    const report = await failover((w) => (w.outage = undefined));
    expect(report.passed).toBe(true);
    expect(detail(report, "lose the primary")).toContain("the flag's 503 stands in");
    expect(detail(report, "recover")).toContain(`drill flag cleared in ${primary}`);
    expect(world.flag("primary")).toBe("false");
    expect(world.writer()).toBe(world.arns.primary);
  });
});

describe("a failed failover step is rolled back", () => {
  it("fail the database over, when it stalls: the region is given back first, the database reported stuck", async () => {
    const report = await failover((w) => w.aurora.stallTowards.add(w.arns.secondary));
    expect(report.failure).toEqual({
      step: "fail the database over",
      message: `the writer in ${secondary}: not within the ${targets.promotionAllowanceSeconds} s deadline`,
    });
    expect(report.rollback!.actions[0]).toBe(`gave ${primary} back (the drill's outage ended)`);
    expect(report.rollback!.actions[1]).toMatch(
      new RegExp(`^FAILED to switch the database back to ${primary}: the global cluster to settle`),
    );
    expect(report.rollback!.ok).toBe(false);
    expect(world.lost.size).toBe(0);
    expect(markdown(report)).toContain("ROLLBACK INCOMPLETE");
  });

  it("fail the database over, when RDS refuses it: nothing moved, the region given back", async () => {
    const report = await failover((w) =>
      w.fail(FailoverGlobalClusterCommand, "InvalidDBClusterStateFault: not available", {
        times: 1,
      }),
    );
    expect(report.failure!.step).toBe("fail the database over");
    expect(report.rollback).toEqual({
      actions: [
        `gave ${primary} back (the drill's outage ended)`,
        `the database writer stayed in ${primary}`,
      ],
      ok: true,
    });
    expect(world.writer()).toBe(world.arns.primary);
  });

  it("recover, when the region does not come back: the writer stays in the secondary, said loudly", async () => {
    const report = await failover((w) => (w.regionStaysLost = true));
    expect(report.failure).toEqual({ step: "recover", message: `${primary} is still unreachable` });
    expect(report.failover!.writerWhenRegionReturned).toBeNull();
    expect(report.rollback).toEqual({
      actions: [
        `FAILED to give ${primary} back: ${primary} is still unreachable`,
        expect.stringMatching(new RegExp(`^FAILED to switch the database back to ${primary}: `)),
      ],
      ok: false,
    });
    expect(report.finalState!["database writer"]).toBe(`${secondary} (available)`);
    expect(report.finalState!["global cluster members"]).toBe(
      `${primary} secondary (pending-resync), ${secondary} writer (connected)`,
    );
    expect(report.passed).toBe(false);
  });
});

describe("the Aurora model", () => {
  const arn = (region: string) => `arn:aws:rds:${region}:123456789012:cluster:payments-dev`;
  const model = (lost: string[]) => {
    const clock = virtualClock();
    const aurora = new AuroraGlobalEmulator(
      "payments-dev",
      "arn:aws:rds::123456789012:global-cluster:payments-dev",
      [
        { arn: arn("us-east-2"), isWriter: true },
        { arn: arn("us-west-2"), isWriter: false },
      ],
      clock,
      { pendingSeconds: 0, failingOverSeconds: 0, resyncSeconds: 0 },
      () => lost,
    );
    return aurora;
  };

  it("refuses a switchover while a member's region is lost; a failover goes ahead", () => {
    const lost = ["us-east-2"];
    const aurora = model(lost);
    expect(() => aurora.move(arn("us-west-2"), false)).toThrow(
      /a switchover needs every member of payments-dev available and in sync/,
    );
    aurora.move(arn("us-west-2"), true);
    const after = aurora.describe();
    expect(after.members).toEqual([
      { arn: arn("us-east-2"), isWriter: false, synchronization: "pending-resync" },
      { arn: arn("us-west-2"), isWriter: true, synchronization: "connected" },
    ]);
    // Still behind, so no switchover back until its region returns and it is rebuilt.
    expect(() => aurora.move(arn("us-east-2"), false)).toThrow(/not available to be promoted/);
    lost.length = 0;
    expect(aurora.describe().members[0]!.synchronization).toBe("connected");
    aurora.move(arn("us-east-2"), false);
    expect(aurora.describe().members.find((m) => m.isWriter)!.arn).toBe(arn("us-east-2"));
  });

  it("a detached cluster leaves the global cluster and stands alone", () => {
    const aurora = model([]);
    aurora.detach(arn("us-west-2"));
    expect(aurora.describe().members.map((m) => m.arn)).toEqual([arn("us-east-2")]);
    expect(aurora.clusters("us-west-2")).toEqual([{ arn: arn("us-west-2"), status: "available" }]);
  });
});
