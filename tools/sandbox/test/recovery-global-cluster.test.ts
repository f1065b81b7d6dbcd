import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startPrivateMoto, type PrivateMoto } from "../src/moto.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const python = join(repoRoot, ".venv", "bin", "python");

describe("the sandbox's Aurora global cluster: failover, switchover, and what a secondary refuses", () => {
  let server: PrivateMoto | undefined;
  let found: Record<string, unknown>;

  beforeAll(async () => {
    server = await startPrivateMoto(repoRoot, { label: "recovery-global" });
    const out = execFileSync(
      python,
      [join(import.meta.dirname, "global_cluster_probe.py"), server.endpoint],
      { encoding: "utf8", timeout: 60_000 },
    );
    found = JSON.parse(out) as Record<string, unknown>;
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
  });

  test("a cluster joining a global cluster that has a writer takes no master credentials or database name", () => {
    expect(found.secondary_with_password).toBe(
      "InvalidParameterCombination: Cannot specify password for cross region replication cluster",
    );
    expect(found.secondary_with_user).toBe(
      "InvalidParameterCombination: Cannot specify user name for cross region replication cluster",
    );
    expect(found.secondary_with_database).toBe(
      "InvalidParameterCombination: Cannot specify database name for cross region replication cluster",
    );
    expect(found.rejoin_with_password).toMatch(/^InvalidParameterCombination: /);
    expect(found.before).toEqual({ "us-east-1": true, "us-west-2": false });
  });

  test("DescribeDBClusters names each member's global cluster, as the posture check reads it", () => {
    expect(found.global_id_sent).toEqual({ "us-east-1": "g", "us-west-2": "g" });
  });

  test("FailoverGlobalCluster with AllowDataLoss makes the secondary write, asked in the secondary's region", () => {
    expect(found.failover_answer).toEqual({ "us-east-1": false, "us-west-2": true });
    expect(found.after_failover_asked_in_west).toEqual({ "us-east-1": false, "us-west-2": true });
  });

  test("SwitchoverGlobalCluster moves the writer back", () => {
    expect(found.after_switchover).toEqual({ "us-east-1": true, "us-west-2": false });
  });

  test("publishes a secondary's replication lag as RDS does (instant here), and a put lag as put", () => {
    expect(found.lag_of_secondary).toEqual([0]);
    expect(found.lag_of_writer).toEqual([]);
    expect(found.lag_as_put).toBe(9000);
  });

  test("refuses what the RDS API reference refuses", () => {
    expect(found.both_flags).toMatch(
      /^InvalidParameterCombination: AllowDataLoss can't be specified together with Switchover/,
    );
    expect(found.unknown_global).toMatch(/^GlobalClusterNotFoundFault: /);
    expect(found.not_a_member).toMatch(
      /^DBClusterNotFoundFault: .* is not a member of global cluster g/,
    );
    expect(found.to_the_writer).toMatch(
      /^InvalidDBClusterStateFault: .* is already the primary cluster of g/,
    );
  });
});
