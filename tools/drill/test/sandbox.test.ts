import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrivateMoto, type PrivateMoto } from "@tandem/sandbox";
import { RemoveFromGlobalClusterCommand } from "@aws-sdk/client-rds";
import {
  checkPosture,
  markdown,
  motoBinary,
  runSandboxDrill,
  startEmulation,
  type DrillReport,
} from "../src/index.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const hasMoto = motoBinary(root) !== undefined;
if (!hasMoto)
  console.warn(
    `skipping the sandbox drill tests: moto is not installed in ${root}.venv (tandem sandbox installs it)`,
  );

const step = (report: DrillReport, name: string) => report.steps.find((s) => s.name === name);

describe.skipIf(!hasMoto)("tandem sandbox drill", () => {
  // One moto for the file: each run provisions what it needs again (table, flag, bus).
  let moto: PrivateMoto;
  beforeAll(async () => {
    moto = await startPrivateMoto(root, { label: "drill-test" });
  }, 40_000);
  afterAll(() => moto?.stop());
  const run = (options: Omit<Parameters<typeof runSandboxDrill>[0], "root" | "motoEndpoint">) =>
    runSandboxDrill({ root, motoEndpoint: moto.endpoint, ...options });

  it("switches staging over and back, measured against the validator's budget", async () => {
    // 10x rather than the default 50x: real I/O is multiplied by the clock too, and a loaded
    // machine's stalls must not look like slow detection.
    const report = await run({ env: "staging", speed: 10 });
    console.log(markdown(report));
    expect(report.passed).toBe(true);
    expect(report.steps.map((s) => [s.name, s.ok])).toEqual([
      ["preflight", true],
      ["canaries", true],
      ["take the primary out", true],
      ["move the database", true],
      ["verify", true],
      ["fail back", true],
    ]);
    const { measured, budget } = { measured: report.measured, budget: report.budget };
    const detectionTerm = budget.find((b) => b.key === "modules.dns")!;
    // staging's health checks follow the region-health alarm (dns 2.0.0): the region check reads
    // the flag within its minute, the alarm fires after two complete one-minute periods of 0,
    // then the checkers read it and the drill sees the failure threshold of their observations.
    expect(measured.detectionSeconds).toBeGreaterThanOrEqual(120);
    expect(measured.detectionSeconds).toBeLessThan(detectionTerm.seconds + 120);
    expect(measured.trafficRtoSeconds).toBeGreaterThan(30);
    expect(measured.rpoSeconds).toBe(0);
    expect(measured.databaseSwitchoverSeconds).toBeGreaterThanOrEqual(45);
    expect(report.finalState).toMatchObject({
      "drill flag in us-east-1": "false",
      "database writer": "us-east-1 (available)",
      "failover name answers from": "us-east-1",
    });
  }, 240_000);

  it("fails dev over with us-east-2 lost mid-traffic, recovers and fails back", async () => {
    const report = await run({ env: "dev", mode: "failover", speed: 10 });
    console.log(markdown(report));
    expect(report.failure).toBeUndefined();
    expect(report.passed).toBe(true);
    expect(report.steps.map((s) => s.name)).toEqual([
      "preflight",
      "canaries",
      "lose the primary",
      "fail the database over",
      "verify",
      "recover",
      "fail back",
    ]);
    const { measured } = report;
    // How soon the name moves is the health checks' design (checked by the switchover above);
    // here the client saw an outage, and it ended in the secondary.
    expect(measured.trafficRtoSeconds).toBeGreaterThan(0);
    expect(measured.recoverySeconds).toBeGreaterThanOrEqual(120);
    expect(report.failover!.acknowledged).toBeGreaterThanOrEqual(6);
    // Whatever the lost region had not replicated reaches us-west-2 once it is back.
    expect(report.failover!.arrivedAfterRecovery).toBe(report.failover!.missingAtFailover.length);
    expect(report.finalState).toMatchObject({
      "database writer": "us-east-2 (available)",
      "global cluster members": "us-east-2 writer (connected), us-west-2 secondary (connected)",
      "failover name answers from": "us-east-2",
    });
    // The drill role's calls to the lost region were dropped by its gateway, not denied.
    expect(report.notes.join("\n")).toMatch(/\(\d+ allowed, 0 denied\)/);
  }, 240_000);

  it("measures the RPO of writes the lost region never replicated", async () => {
    const report = await run({
      env: "dev",
      mode: "failover",
      speed: 20,
      faults: ["writes-unreplicated"],
    });
    expect(report.failure).toBeUndefined();
    const lost = report.failover!;
    expect(lost.missingAtFailover.length).toBe(lost.acknowledged);
    expect(lost.arrivedAfterRecovery).toBe(lost.acknowledged);
    expect(report.measured.rpoSeconds).toBeGreaterThan(0);
  }, 240_000);

  it("the posture check reports a cluster detached through RDS's own API", async () => {
    const emulation = await startEmulation({ root, env: "staging", motoEndpoint: moto.endpoint });
    try {
      const { world, targets } = emulation;
      const before = await checkPosture(world, targets);
      expect(before.findings.filter((f) => !f.ok)).toEqual([]);
      await world.clients("us-west-2").rds.send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: targets.globalClusterIdentifier,
          DbClusterIdentifier: `arn:aws:rds:us-west-2:${targets.account}:cluster:${targets.clusterIdentifier}`,
        }),
      );
      const after = await checkPosture(world, targets);
      expect(after.ok).toBe(false);
      expect(after.findings.filter((f) => !f.ok)).toEqual([
        {
          check: "us-west-2 cluster",
          ok: false,
          detail: expect.stringMatching(
            /^payments-staging is detached from payments-staging \(a standalone cluster, writable once promoted\)/,
          ),
        },
      ]);
    } finally {
      await emulation.close();
    }
  }, 60_000);

  it("a dry run checks the preconditions and changes nothing", async () => {
    const report = await run({ env: "staging", dryRun: true, speed: 200 });
    expect(report.failure?.message).toBeUndefined();
    expect(report.passed).toBe(true);
    expect(report.steps.map((s) => s.name)).toEqual(["preflight"]);
    expect(step(report, "preflight")!.detail.join()).not.toContain("lock taken");
  }, 60_000);

  it("never starts when the secondary is unhealthy at preflight", async () => {
    const report = await run({ env: "staging", speed: 200, faults: ["secondary-unhealthy"] });
    expect(report.passed).toBe(false);
    expect(report.steps.map((s) => s.name)).toEqual(["preflight"]);
    expect(report.failure!.message).toMatch(/us-west-2 \/health answered 503/);
    expect(report.rollback!.actions).toEqual([]);
  }, 60_000);

  it("never starts when replication lag is over the RPO", async () => {
    const report = await run({ env: "staging", speed: 200, faults: ["lag-over-rpo"] });
    expect(report.failure!.message).toMatch(
      /replication lag 90000 ms is over the RPO \(60000 ms\)/,
    );
    expect(report.steps).toHaveLength(1);
  }, 60_000);

  it("rolls back when the flag write fails", async () => {
    const report = await run({ env: "staging", speed: 200, faults: ["flag-write-fails"] });
    expect(report.failure!.step).toBe("take the primary out");
    expect(report.failure!.message).toMatch(/not authorized to perform: ssm:PutParameter/);
    expect(report.rollback!.ok).toBe(false);
    expect(report.finalState!["database writer"]).toBe("us-east-1 (available)");
    expect(report.finalState!["drill flag in us-east-1"]).toBe("false");
  }, 60_000);

  it("rolls back a stalled switchover: the flag cleared, the database never moved", async () => {
    const report = await run({ env: "staging", speed: 200, faults: ["switchover-stalls"] });
    expect(report.failure!.step).toBe("move the database");
    expect(report.failure!.message).toMatch(/not within the 300 s deadline/);
    expect(report.finalState!["drill flag in us-east-1"]).toBe("false");
    expect(markdown(report)).toContain("cleared the drill flag in us-east-1");
  }, 90_000);

  it("says loudly what is left when failback fails", async () => {
    const report = await run({ env: "staging", speed: 200, faults: ["failback-fails"] });
    expect(report.failure!.step).toBe("fail back");
    expect(report.rollback!.ok).toBe(false);
    const text = markdown(report);
    expect(text).toContain("ROLLBACK INCOMPLETE");
    expect(report.finalState!["database writer"]).toMatch(/^us-west-2/);
    expect(report.finalState!["drill flag in us-east-1"]).toBe("false");
  }, 90_000);
});
