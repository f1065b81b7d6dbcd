import { describe, expect, it } from "vitest";
import {
  composeEnvironment,
  GLOBAL_REGION,
  type Deployment,
} from "../../src/compose/deployments.ts";
import { CompositionError } from "../../src/errors.ts";
import { contractModule, contractResolver, exampleEnvironment, TOOLCHAIN } from "../helpers.ts";

type Root = {
  terraform: { backend: { s3: Record<string, unknown> } };
  provider: { aws: Record<string, unknown>[] };
  module: Record<string, Record<string, unknown>>;
  data?: { terraform_remote_state?: Record<string, { config: Record<string, unknown> }> };
  output?: Record<string, { value: string }>;
};
const rootOf = (d: Deployment) => d.root as unknown as Root;

describe("composeEnvironment", () => {
  const prod = exampleEnvironment("prod");
  const [primary, secondary, global] = composeEnvironment(prod, contractResolver, TOOLCHAIN);

  it("makes three roots in apply order: primary, secondary (after primary), global (after both)", () => {
    expect([primary, secondary, global].map((d) => [d!.name, d!.role, d!.dependsOn])).toEqual([
      ["us-east-1", "primary", []],
      ["us-west-2", "secondary", ["us-east-1"]],
      ["global", "global", ["us-east-1", "us-west-2"]],
    ]);
  });

  it("keeps each regional root to its own region: one provider, its own state bucket, no remote state", () => {
    for (const deployment of [primary!, secondary!]) {
      const root = rootOf(deployment);
      const text = JSON.stringify(root);
      const other = deployment === primary ? "us-west-2" : "us-east-1";
      expect(root.provider.aws).toHaveLength(1);
      expect(root.provider.aws[0]!.region).toBe(deployment.region);
      expect(root.terraform.backend.s3.region).toBe(deployment.region);
      expect(root.terraform.backend.s3.bucket).toBe(
        `tandem-tfstate-210987654321-${deployment.region}`,
      );
      expect(root.data?.terraform_remote_state).toBeUndefined();
      expect(text).not.toContain("terraform_remote_state");
      // The other region appears only inside ARNs and region names computed from the manifest.
      for (const match of text.matchAll(new RegExp(`[^"]*${other}[^"]*`, "g"))) {
        expect(match[0]).toMatch(
          new RegExp(`^(arn:aws:[a-z]+:${other}:210987654321:.+|${other})$`),
        );
      }
    }
  });

  it("uses an encrypted S3 backend with S3-native locking and no DynamoDB lock table", () => {
    for (const deployment of [primary!, secondary!, global!]) {
      const s3 = rootOf(deployment).terraform.backend.s3;
      expect(s3).toMatchObject({
        encrypt: true,
        use_lockfile: true,
        key: `prod/${deployment.name}.tfstate`,
      });
      expect(s3).not.toHaveProperty("dynamodb_table");
    }
  });

  it("pins the account and tags everything with environment, cost center, manager and module versions", () => {
    const provider = rootOf(primary!).provider.aws[0]!;
    expect(provider.allowed_account_ids).toEqual(["210987654321"]);
    expect(provider.default_tags).toEqual({
      tags: {
        CostCenter: "payments",
        DataClassification: "pci",
        Environment: "prod",
        ManagedBy: "tandem",
        TandemDeployment: "prod/us-east-1",
        TandemModules:
          "networking@1.0.0 database@1.0.0 backup@1.0.0 compute@1.0.0 monitoring@1.0.0",
      },
    });
  });

  it("wires cross-region values from names, by role", () => {
    const p = rootOf(primary!).module;
    const s = rootOf(secondary!).module;
    expect(p.database).toMatchObject({
      role: "primary",
      primary_table_arn: "",
      secondary_region: "us-west-2",
    });
    expect(s.database).toMatchObject({
      role: "secondary",
      secondary_region: "",
      primary_table_arn: "arn:aws:dynamodb:us-east-1:210987654321:table/payments-prod-sessions",
    });
    expect(p.backup!.destination_vault_arn).toBe(
      "arn:aws:backup:us-west-2:210987654321:backup-vault:payments-prod",
    );
    // Both regions back up and copy to the other, so backups survive the loss of either.
    expect(s.backup!.destination_vault_arn).toBe(
      "arn:aws:backup:us-east-1:210987654321:backup-vault:payments-prod",
    );
    expect(s.backup!.resource_arns).toBe(
      "${[module.database.cluster_arn, module.database.table_arn]}",
    );
    expect(p.compute!.peer_event_bus_arn).toBe(
      "arn:aws:events:us-west-2:210987654321:event-bus/payments-prod",
    );
    expect(s.compute!.peer_event_bus_arn).toBe(
      "arn:aws:events:us-east-1:210987654321:event-bus/payments-prod",
    );
    expect(p.monitoring!.replication_lag_threshold_ms).toBe(60_000);
    expect(p.database!.subnet_ids).toBe("${module.networking.private_subnet_ids}");
  });

  it("puts Route 53 in the global root, in us-east-1, reading the regional roots' outputs", () => {
    const root = rootOf(global!);
    expect(root.provider.aws[0]!.region).toBe(GLOBAL_REGION);
    expect(Object.keys(root.module)).toEqual(["dns", "monitoring"]);
    expect(root.data?.terraform_remote_state?.secondary?.config).toEqual({
      bucket: "tandem-tfstate-210987654321-us-west-2",
      key: "prod/us-west-2.tfstate",
      region: "us-west-2",
    });
    expect(root.module.dns!.primary).toMatchObject({
      region: "us-east-1",
      target_domain_name: "${data.terraform_remote_state.primary.outputs.api_domain_target}",
    });
    expect(root.module.dns!.record_name).toBe("api.pay.acme-payments.com");
    expect(rootOf(primary!).output?.api_health_fqdn).toEqual({
      value: "${module.compute.api_health_fqdn}",
    });
  });

  it("passes only the inputs a pinned version declares", () => {
    const older = composeEnvironment(
      exampleEnvironment("prod"),
      (domain) => ({
        source: `x/${domain}`,
        files: contractModule(domain, (json) => {
          if (domain === "networking") delete json.variable!.flow_log_retention_days;
        }),
      }),
      TOOLCHAIN,
    );
    expect(rootOf(older[0]!).module.networking).not.toHaveProperty("flow_log_retention_days");
    expect(rootOf(primary!).module.networking).toHaveProperty("flow_log_retention_days", 365);
  });

  it("fails clearly when a pinned version needs an input or output the composer cannot give", () => {
    const needs = (change: Parameters<typeof contractModule>[1], on: string) => () =>
      composeEnvironment(
        exampleEnvironment("prod"),
        (domain, version) => ({
          source: domain,
          files:
            domain === on
              ? contractModule(domain, change)
              : contractResolver(domain, version).files,
        }),
        TOOLCHAIN,
      );
    expect(needs((json) => void (json.variable!.surprise = { type: "string" }), "backup")).toThrow(
      new CompositionError("backup@1.0.0 requires surprise, which no manifest value provides"),
    );
    expect(needs((json) => void delete json.output!.kms_key_arn, "database")).toThrow(
      /compute needs output kms_key_arn of database/,
    );
  });

  it("hashes content: the same inputs give the same sha256, a module change gives another", () => {
    const again = composeEnvironment(exampleEnvironment("prod"), contractResolver, TOOLCHAIN);
    expect(again.map((d) => d.sha256)).toEqual([primary, secondary, global].map((d) => d!.sha256));
    const changed = composeEnvironment(
      exampleEnvironment("prod"),
      (domain, version) => ({
        ...contractResolver(domain, version),
        files: {
          ...contractModule(domain),
          terraformSha256: domain === "dns" ? "other" : contractModule(domain).terraformSha256,
        },
      }),
      TOOLCHAIN,
    );
    expect(changed.map((d) => d.sha256 === again.find((a) => a.name === d.name)!.sha256)).toEqual([
      true,
      true,
      false,
    ]);
  });
});
