import { describe, expect, it } from "vitest";
import { globalInputs, regionalInputs } from "../../src/compose/inputs.ts";
import { crossRegionNames } from "../../src/compose/names.ts";
import { evaluateHcl, hasTerraform } from "./hcl.ts";
import { exampleEnvironment } from "../helpers.ts";

const { manifest } = exampleEnvironment("prod");
const names = crossRegionNames(manifest);
const primary = regionalInputs(manifest, names, "primary");
const secondary = regionalInputs(manifest, names, "secondary");
const global = globalInputs(manifest, names);

describe("what the composer gives the modules for disaster recovery", () => {
  it("gives both regions the same JWT issuer and audiences, so one token works in either", () => {
    for (const inputs of [primary, secondary]) {
      expect(inputs.compute).toMatchObject({
        jwt_issuer: "https://auth.acme-payments.com",
        jwt_audiences: ["payments-api"],
        health_reserved_concurrency: 5,
        health_cache_seconds: 5,
      });
    }
  });

  it("names each region's health-check domain after its region, under the failover name", () => {
    expect(primary.compute!.health_check_domain_name).toBe("us-east-1.api.pay.acme-payments.com");
    expect(secondary.compute!.health_check_domain_name).toBe("us-west-2.api.pay.acme-payments.com");
    expect(primary.compute!.api_domain_name).toBe("api.pay.acme-payments.com");
  });

  it("tells both roots which region writes, keeping their roles (the primary root keeps the global cluster)", () => {
    expect(primary.database).toMatchObject({ role: "primary", writer_region: "us-east-1" });
    expect(secondary.database).toMatchObject({ role: "secondary", writer_region: "us-east-1" });
    const failedOver = {
      ...manifest,
      database: { ...manifest.database, writer: "us-west-2" as const },
    };
    for (const role of ["primary", "secondary"] as const)
      expect(regionalInputs(failedOver, names, role).database).toMatchObject({
        role,
        writer_region: "us-west-2",
      });
  });

  it("backs up both regions, each copying to the other", () => {
    expect(primary.backup!.destination_vault_arn).toBe(names.backupVaultArn("us-west-2"));
    expect(secondary.backup!.destination_vault_arn).toBe(names.backupVaultArn("us-east-1"));
    for (const inputs of [primary, secondary])
      expect(inputs.backup!.resource_arns).toBe(
        "${[module.database.cluster_arn, module.database.table_arn]}",
      );
  });

  it("reads every health-check record output inside try(), so a 1.x regional root still composes", () => {
    const text = String(global.dns!.health_check_records);
    const bare = text.replace(/try\([^()]*\)/g, "");
    expect(bare).not.toMatch(/terraform_remote_state/);
  });

  it.skipIf(!hasTerraform)(
    "writes a record only for a region whose compute has a health-check domain (real terraform)",
    () => {
      const outputs = (target: string | null) => ({
        api_health_fqdn: "us-east-1.api.pay.acme-payments.com",
        health_check_domain_target: target,
        health_check_domain_zone_id: target ? "Z1UJRXOUMOOFQ8" : null,
      });
      const records = evaluateHcl(String(global.dns!.health_check_records), {
        primary: outputs("d-1.execute-api.us-east-1.amazonaws.com"),
        secondary: { api_health_fqdn: "abc.execute-api.us-west-2.amazonaws.com" },
      });
      expect(records).toEqual({
        primary: {
          name: "us-east-1.api.pay.acme-payments.com",
          target_domain_name: "d-1.execute-api.us-east-1.amazonaws.com",
          target_zone_id: "Z1UJRXOUMOOFQ8",
        },
      });
    },
  );
});
