import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrivateMoto, type PrivateMoto } from "@tandem/sandbox";
import { findHealthChecks, observations } from "../src/aws.ts";
import { healthyByFraction, isSuccess } from "../src/health.ts";
import { loadDrillEnvironment } from "../src/targets.ts";
import { motoBinary, startEmulation } from "../src/index.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const hasMoto = motoBinary(root) !== undefined;

describe.skipIf(!hasMoto)("paging survives the loss of us-east-1 (issue 18, item 5)", () => {
  let moto: PrivateMoto;
  beforeAll(async () => {
    const { account } = loadDrillEnvironment(root, "staging").manifest;
    moto = await startPrivateMoto(root, { label: "peer-paging", account });
  }, 60_000);
  afterAll(() => moto?.stop());

  it("us-west-2 alarms on its own topic when us-east-1 is lost, and Route 53 fails us-east-1 over on the alarm it cannot read", async () => {
    const emulation = await startEmulation({
      root,
      env: "staging",
      motoEndpoint: moto.endpoint,
      speed: 20,
    });
    try {
      const { world, targets, cloudwatch } = emulation;
      const { clock } = world;
      const [east, west] = [targets.regions.primary, targets.regions.secondary];
      const peerAlarm = (role: string) => `payments-staging-${role}-peer-health`;
      const checks = await findHealthChecks(world, targets);
      const healthy = async () =>
        Object.fromEntries(
          await Promise.all(
            (["primary", "secondary"] as const).map(async (role) => {
              const seen = await observations(world, checks[role]!);
              return [role, healthyByFraction(seen.filter(isSuccess).length, seen.length)];
            }),
          ),
        );
      // Both regions see each other healthy: nobody is paged.
      expect(cloudwatch.alarmStates(east)).toEqual({
        "payments-staging-region-health": "OK",
        [peerAlarm("primary")]: "OK",
      });
      expect(cloudwatch.alarmStates(west)).toEqual({
        "payments-staging-region-health": "OK",
        [peerAlarm("secondary")]: "OK",
      });
      expect(await healthy()).toEqual({ primary: true, secondary: true });

      await world.outage!.lose(east);
      const lostAt = clock.now();
      // Route 53 cannot read us-east-1's alarm: insufficient data, which the check counts as unhealthy.
      await clock.sleep(targets.healthCheck.interval * 1000 + 1_000);
      expect(await healthy()).toEqual({ primary: false, secondary: true });
      expect(() => cloudwatch.alarmStates(east)).toThrow(/unreachable/);
      // us-west-2's check reads nothing from us-east-1 any more, publishes PeerHealthy 0, and
      // its own alarm, in its own region, fires after two one-minute periods.
      while (cloudwatch.alarmState(west, peerAlarm("secondary")) !== "ALARM") {
        expect(clock.now() - lostAt).toBeLessThan(4 * 60_000);
        await clock.sleep(5_000);
      }
      const pagedAfter = (clock.now() - lostAt) / 1000;
      console.log(`us-west-2 paged ${pagedAfter} s after us-east-1 was lost`);
      expect(pagedAfter).toBeGreaterThanOrEqual(60);
      expect(cloudwatch.alarmState(west, "payments-staging-region-health")).toBe("OK");

      await world.outage!.restore(east);
      while (cloudwatch.alarmState(west, peerAlarm("secondary")) !== "OK") {
        expect(clock.now() - lostAt).toBeLessThan(10 * 60_000);
        await clock.sleep(5_000);
      }
      while (!(await healthy()).primary) {
        expect(clock.now() - lostAt).toBeLessThan(10 * 60_000);
        await clock.sleep(5_000);
      }
    } finally {
      await emulation.close();
    }
  }, 300_000);
});
