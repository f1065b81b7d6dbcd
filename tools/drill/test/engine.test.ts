/*
 * The drill engine on an in-memory world (no moto): the happy path, each step's failure, and
 * the rollback ledger — what the drill changed is undone, what it could not undo is reported
 * loudly.
 */
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { SwitchoverGlobalClusterCommand } from "@aws-sdk/client-rds";
import { DRILL_LOCK_KEY } from "@tandem/module-kit/drill";
import { ALIAS_ANSWER_TTL_SECONDS } from "@tandem/module-kit/route53";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runDrill } from "../src/engine.ts";
import { markdown, type DrillReport } from "../src/report.ts";
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

/** A world whose checkers have started; `arrange` sets its faults first. */
async function drill(
  arrange: (world: FakeWorld) => void = () => {},
  options: { dryRun?: boolean } = {},
): Promise<DrillReport> {
  world = new FakeWorld(targets);
  arrange(world);
  await world.start();
  return runDrill(world, targets, {
    mode: "switchover",
    dryRun: options.dryRun ?? false,
    where: "an in-memory world",
  });
}

const steps = (report: DrillReport) => report.steps.map((s) => [s.name, s.ok]);
const lockHeld = () => world.items.has(DRILL_LOCK_KEY);
/** The world after the drill: flags, database writer, lock. */
const leftAsFound = () => {
  expect(world.flag("primary")).toBe("false");
  expect(world.flag("secondary")).toBe("false");
  expect(world.writer()).toBe(world.arns.primary);
  expect(lockHeld()).toBe(false);
};

describe("runDrill on an in-memory world", () => {
  it("switches over and back, measuring each figure against the manifest", async () => {
    const report = await drill();
    expect(steps(report)).toEqual([
      ["preflight", true],
      ["canaries", true],
      ["take the primary out", true],
      ["move the database", true],
      ["verify", true],
      ["fail back", true],
    ]);
    expect(report.passed).toBe(true);
    expect(report.failure).toBeUndefined();
    const { interval, failureThreshold } = targets.healthCheck;
    const { measured } = report;
    // The last checker to decide fails threshold times, interval apart, after the flag.
    expect(measured.detectionSeconds).toBeGreaterThanOrEqual((failureThreshold - 1) * interval);
    expect(measured.detectionSeconds).toBeLessThanOrEqual(failureThreshold * interval + 1);
    // The client's resolver keeps the old answer up to the alias TTL after that.
    const cached = report.budget.find((line) => line.key === "AWS")!.measured!;
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThanOrEqual(ALIAS_ANSWER_TTL_SECONDS);
    expect(measured.trafficRtoSeconds).toBeGreaterThan(measured.detectionSeconds!);
    expect(measured.databaseSwitchoverSeconds).toBeGreaterThanOrEqual(45); // pending 5 s + 40 s
    expect(measured.rpoSeconds).toBe(0);
    expect(report.steps[0]!.detail).toContainEqual(expect.stringMatching(/^drill lock taken/));
    expect(report.finalState).toEqual({
      [`drill flag in ${primary}`]: "false",
      [`drill flag in ${secondary}`]: "false",
      "database writer": `${primary} (available)`,
      "failover name answers from": primary,
    });
    leftAsFound();
  });

  it("a dry run checks the preconditions, takes no lock and changes nothing", async () => {
    const report = await drill(() => {}, { dryRun: true });
    expect(steps(report)).toEqual([["preflight", true]]);
    expect(report.passed).toBe(true);
    expect(report.rollback).toBeUndefined();
    expect(report.steps[0]!.detail.join("\n")).not.toContain("lock");
    leftAsFound();
  });
});

describe("a failed step is rolled back", () => {
  it("preflight: reports every problem at once and changes nothing, not even another drill's lock", async () => {
    const report = await drill((w) => {
      w.tokenProblem = "TANDEM_DRILL_TOKEN is not set";
      w.lagMs = undefined;
      w.parameters.set(`${secondary}/${targets.flagParameterName}`, "true");
      w.items.set(DRILL_LOCK_KEY, {
        pk: { S: DRILL_LOCK_KEY },
        holder: { S: "staging-other" },
        expiresAt: { N: String(Math.floor(w.clock.now() / 1000) + 600) },
      });
    });
    expect(steps(report)).toEqual([["preflight", false]]);
    expect(report.failure!.step).toBe("preflight");
    for (const problem of [
      "TANDEM_DRILL_TOKEN is not set",
      `${secondary} /health answered 503`,
      `no AuroraGlobalDBReplicationLag in ${secondary}`,
      `drill flag ${targets.flagParameterName} in ${secondary} is true, not false`,
      "another drill (staging-other) holds the lock",
    ])
      expect(report.failure!.message).toContain(problem);
    expect(report.rollback).toEqual({ actions: [], ok: true });
    expect(markdown(report)).toContain("- nothing had changed");
    expect(world.items.get(DRILL_LOCK_KEY)?.holder?.S).toBe("staging-other");
  });

  it("preflight: refuses an environment whose manifest says the secondary writes (not failed back)", async () => {
    const failedOver = { ...targets, writerRegion: secondary };
    world = new FakeWorld(failedOver);
    await world.start();
    const report = await runDrill(world, failedOver, {
      mode: "switchover",
      dryRun: true,
      where: "an in-memory world",
    });
    expect(steps(report)).toEqual([["preflight", false]]);
    expect(report.failure!.message).toContain(
      `the manifest says ${secondary} writes (database.writer): a drill starts from the primary writing; switch back and remove database.writer first`,
    );
  });

  it("canaries, when the API refuses payments: only the lock had been taken, and it is released", async () => {
    const report = await drill((w) => (w.paymentsRefusedWith = 500));
    expect(steps(report).at(-1)).toEqual(["canaries", false]);
    expect(report.failure!.message).toMatch(/^canary tandem-drill-[0-9a-f]+-canary-1: 500$/);
    expect(report.rollback).toEqual({ actions: [], ok: true });
    leftAsFound();
  });

  it("take the primary out, when the flag cannot be written: the flag is cleared again", async () => {
    const report = await drill((w) =>
      w.fail(PutParameterCommand, "AccessDeniedException: ssm:PutParameter", { times: 1 }),
    );
    expect(steps(report).at(-1)).toEqual(["take the primary out", false]);
    expect(report.failure).toEqual({
      step: "take the primary out",
      message: "AccessDeniedException: ssm:PutParameter",
    });
    expect(report.rollback).toEqual({
      actions: [`cleared the drill flag in ${primary}`],
      ok: true,
    });
    leftAsFound();
  });

  it("take the primary out, when Route 53 never moves the name: fails at the RTO, flag cleared", async () => {
    const report = await drill((w) => (w.nameStuckOnPrimary = true));
    expect(report.failure).toEqual({
      step: "take the primary out",
      message: `the primary out of DNS: not within the ${targets.objectives.rtoSeconds} s deadline`,
    });
    expect(report.rollback).toEqual({
      actions: [`cleared the drill flag in ${primary}`],
      ok: true,
    });
    expect(report.measured.databaseSwitchoverSeconds).toBeNull();
    leftAsFound();
  });

  it("move the database, when RDS refuses the switchover: nothing moved, the ledger says so", async () => {
    const report = await drill((w) =>
      w.fail(SwitchoverGlobalClusterCommand, "InvalidGlobalClusterStateFault: busy", { times: 1 }),
    );
    expect(report.failure).toEqual({
      step: "move the database",
      message: "InvalidGlobalClusterStateFault: busy",
    });
    expect(report.rollback).toEqual({
      actions: [`the database writer stayed in ${primary}`, `cleared the drill flag in ${primary}`],
      ok: true,
    });
    leftAsFound();
  });

  it("move the database, when the switchover stalls: what cannot be undone is reported loudly", async () => {
    const report = await drill((w) => w.aurora.stallTowards.add(w.arns.secondary));
    const allowance = targets.promotionAllowanceSeconds;
    expect(report.failure).toEqual({
      step: "move the database",
      message: `the writer in ${secondary}: not within the ${allowance} s deadline`,
    });
    expect(report.rollback).toEqual({
      actions: [
        `FAILED to switch the database back to ${primary}: the global cluster to settle: not within the ${allowance} s deadline`,
        `cleared the drill flag in ${primary}`,
      ],
      ok: false,
    });
    expect(report.passed).toBe(false);
    const text = markdown(report);
    expect(text).toContain(
      "**ROLLBACK INCOMPLETE: the environment is NOT back to normal. Act on the state below.**",
    );
    expect(text).toContain(`- FAILED to switch the database back to ${primary}: `);
    expect(report.finalState!["database writer"]).toBe(
      `${primary} (switching-over, FailoverState failing-over)`,
    );
    expect(world.flag("primary")).toBe("false");
    expect(lockHeld()).toBe(false);
  });

  it("verify, when canaries are lost in a switchover: the database is switched back, the flag cleared", async () => {
    const report = await drill((w) => (w.replicating = false));
    expect(report.failure).toEqual({
      step: "verify",
      message: "3 canaries lost in a switchover, which must lose none",
    });
    expect(report.steps.at(-1)!.detail[0]).toBe(`0 of 3 canaries readable in ${secondary}`);
    expect(report.rollback).toEqual({
      actions: [`switched the database back to ${primary}`, `cleared the drill flag in ${primary}`],
      ok: true,
    });
    leftAsFound();
  });

  it("fail back, when the switchover back stalls: the database is reported stuck, the flag cleared", async () => {
    const report = await drill((w) => w.aurora.stallTowards.add(w.arns.primary));
    expect(steps(report).at(-1)).toEqual(["fail back", false]);
    expect(report.failure!.message).toBe(
      `the writer in ${primary}: not within the ${targets.promotionAllowanceSeconds} s deadline`,
    );
    expect(report.rollback!.ok).toBe(false);
    expect(report.rollback!.actions).toEqual([
      expect.stringMatching(new RegExp(`^FAILED to switch the database back to ${primary}: `)),
      `cleared the drill flag in ${primary}`,
    ]);
    expect(world.writer()).toBe(world.arns.secondary);
    expect(world.flag("primary")).toBe("false");
    expect(lockHeld()).toBe(false);
  });

  it("any step: a rollback that cannot clear the flag says so, and the lock still goes", async () => {
    const report = await drill((w) => {
      w.nameStuckOnPrimary = true;
      // setting the flag succeeds; clearing it is refused
      w.fail(PutParameterCommand, "ThrottlingException: rate exceeded", { after: 1 });
    });
    expect(report.rollback).toEqual({
      actions: [`FAILED to clear the drill flag in ${primary}: ThrottlingException: rate exceeded`],
      ok: false,
    });
    expect(world.flag("primary")).toBe("true");
    expect(report.finalState![`drill flag in ${primary}`]).toBe("true");
    expect(lockHeld()).toBe(false);
  });
});
