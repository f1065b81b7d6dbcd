import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dataAtRiskWords, STATEFUL_TYPES, summarizePlan } from "../src/plan-summary.ts";

const recorded = (name: string) =>
  readFileSync(new URL(`./fixtures/plans/${name}`, import.meta.url), "utf8");

describe.each(["terraform", "tofu"])("summary of a real %s plan", (tool) => {
  const json = recorded(`mixed.${tool}.json`);

  it("counts every kind of change and lists the addresses", () => {
    const summary = summarizePlan(json);
    expect(summary.counts).toEqual({
      create: 1,
      update: 1,
      replace: 1,
      delete: 1,
      move: 1,
      import: 1,
    });
    expect(summary.changes.map((c) => [c.address, c.actions.join("+")])).toEqual([
      ["terraform_data.fresh", "create"],
      ["terraform_data.gone", "delete"],
      ["terraform_data.imported", "import"],
      ["terraform_data.new_name", "move"],
      ["terraform_data.table", "replace"],
      ["terraform_data.tags", "update"],
    ]);
    expect(summary.changes.find((c) => c.actions.includes("move"))?.previousAddress).toBe(
      "terraform_data.old_name",
    );
  });

  it("finds no data at risk with the production list, which has no terraform_data", () => {
    expect(STATEFUL_TYPES.has("terraform_data")).toBe(false);
    expect(summarizePlan(json).dataAtRisk).toEqual([]);
  });

  it("puts a delete or replace of a stateful type at risk, and says so in words", () => {
    const summary = summarizePlan(json, new Set(["terraform_data"]));
    expect(summary.dataAtRisk.map((c) => c.address)).toEqual([
      "terraform_data.gone",
      "terraform_data.table",
    ]);
    expect(dataAtRiskWords("us-east-1", summary.dataAtRisk)).toBe(
      "Data at risk in us-east-1: this plan deletes terraform_data.gone, replaces terraform_data.table. Applying it needs the label `tandem:allow-data-loss`.",
    );
  });
});

describe("the production list of stateful types", () => {
  it.each([
    "aws_rds_cluster",
    "aws_rds_global_cluster",
    "aws_dynamodb_table",
    "aws_dynamodb_table_replica",
    "aws_kms_key",
    "aws_backup_vault",
    "aws_route53_zone",
    "aws_secretsmanager_secret",
    "aws_s3_bucket",
  ])("holds %s: its replace is data at risk", (type) => {
    const plan = {
      resource_changes: [
        {
          address: `${type}.this`,
          type,
          mode: "managed",
          change: { actions: ["delete", "create"] },
        },
        { address: `${type}.kept`, type, mode: "managed", change: { actions: ["update"] } },
      ],
    };
    expect(summarizePlan(JSON.stringify(plan)).dataAtRisk.map((c) => c.address)).toEqual([
      `${type}.this`,
    ]);
  });

  it("ignores data sources and no-ops", () => {
    const plan = {
      resource_changes: [
        {
          address: "data.aws_region.current",
          type: "aws_region",
          mode: "data",
          change: { actions: ["read"] },
        },
        {
          address: "aws_kms_key.this",
          type: "aws_kms_key",
          mode: "managed",
          change: { actions: ["no-op"] },
        },
      ],
    };
    expect(summarizePlan(JSON.stringify(plan)).changes).toEqual([]);
  });
});

describe("staging's real plan (recorded on the sandbox)", () => {
  const json = recorded("staging-us-east-1.json");

  it("creates every resource of the primary root and risks nothing", () => {
    const summary = summarizePlan(json);
    expect(summary.counts).toEqual({
      create: 117,
      update: 0,
      replace: 0,
      delete: 0,
      move: 0,
      import: 0,
    });
    expect(summary.dataAtRisk).toEqual([]);
  });

  it("would put exactly its stateful resources at risk if each were replaced", () => {
    const plan = JSON.parse(json) as { resource_changes: { change: { actions: string[] } }[] };
    for (const rc of plan.resource_changes) rc.change.actions = ["delete", "create"];
    const risks = summarizePlan(JSON.stringify(plan)).dataAtRisk.map((c) => c.address);
    expect(risks).toContain("module.database.aws_rds_cluster.this");
    expect(risks).toContain("module.database.aws_dynamodb_table.this[0]");
    expect(risks).toContain("module.backup.aws_backup_vault.this");
    expect(risks.every((a) => [...STATEFUL_TYPES].some((t) => a.includes(`${t}.`)))).toBe(true);
    expect(risks).not.toContain("module.networking.aws_vpc.this");
  });
});
