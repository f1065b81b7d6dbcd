import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cidrProblem } from "../../src/manifest/net.ts";
import { manifestSchema, type Domain } from "../../src/manifest/schema.ts";
import { moduleFiles } from "../../src/modules/artifact.ts";
import { loadModuleSources } from "../../src/modules/load.ts";
import { REPO } from "../../src/testing.ts";

const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;
const shape = manifestSchema.shape;
const sections = {
  networking: shape.networking.shape,
  database: shape.database.unwrap().shape,
  compute: shape.compute.unwrap().shape,
  backup: shape.backup.unwrap().shape,
};

/** Whether the manifest schema accepts `value` for `section.key`. */
function schemaAccepts(section: keyof typeof sections, key: string, value: unknown): boolean {
  const fields = sections[section] as Record<
    string,
    { safeParse(v: unknown): { success: boolean } }
  >;
  return fields[key]!.safeParse(value).success;
}

/**
 * Each rule the manifest and a module both state, with values on both sides of its edges:
 * the manifest's answer and the module's variable validation (evaluated by Terraform) must agree.
 */
const CASES: {
  rule: string;
  domain: Domain;
  variable: string;
  values: unknown[];
  manifest: (value: unknown) => boolean;
}[] = [
  {
    rule: "VPC prefix",
    domain: "networking",
    variable: "cidr_block",
    values: ["10.0.0.0/15", "10.0.0.0/16", "10.0.0.0/20", "10.0.0.0/21", "10.0.0.0/24"],
    manifest: (v) => cidrProblem(v as string) === undefined,
  },
  {
    rule: "AZ count",
    domain: "networking",
    variable: "az_count",
    values: [1, 2, 6, 7],
    manifest: (v) => schemaAccepts("networking", "azCount", v),
  },
  {
    rule: "Aurora instance class",
    domain: "database",
    variable: "instance_class",
    values: ["db.r6g.large", "db.r7g.12xlarge", "db.m5.large", "db.t4g.medium"],
    manifest: (v) => schemaAccepts("database", "instanceClass", v),
  },
  {
    rule: "Aurora engine version",
    domain: "database",
    variable: "engine_version",
    values: ["8.0.mysql_aurora.3.08.2", "8.0.32", "aurora-mysql"],
    manifest: (v) => schemaAccepts("database", "engineVersion", v),
  },
  {
    rule: "Aurora instances",
    domain: "database",
    variable: "instance_count",
    values: [0, 1, 16, 17],
    manifest: (v) => schemaAccepts("database", "instances", v),
  },
  {
    rule: "Aurora backup retention",
    domain: "database",
    variable: "backup_retention_days",
    values: [0, 1, 35, 36],
    manifest: (v) => schemaAccepts("database", "backupRetentionDays", v),
  },
  {
    rule: "reserved concurrency",
    domain: "compute",
    variable: "reserved_concurrency",
    values: [0, 1, 10000, 10001],
    manifest: (v) => schemaAccepts("compute", "reservedConcurrency", v),
  },
  {
    rule: "Lambda memory",
    domain: "compute",
    variable: "memory_mb",
    values: [127, 128, 10240, 10241],
    manifest: (v) => schemaAccepts("compute", "memoryMb", v),
  },
  {
    rule: "Lambda timeout",
    domain: "compute",
    variable: "timeout_seconds",
    values: [0, 1, 29, 30],
    manifest: (v) => schemaAccepts("compute", "timeoutSeconds", v),
  },
  {
    rule: "backup retention",
    domain: "backup",
    variable: "retention_days",
    values: [0, 1, 36500, 36501],
    manifest: (v) => schemaAccepts("backup", "retentionDays", v),
  },
];

interface Validation {
  condition: string;
}

describe.skipIf(!hasTerraform)(
  "rules stated by both the manifest and a module (real terraform)",
  () => {
    const moduleAnswers = new Map<string, boolean>();

    beforeAll(async () => {
      const sources = await loadModuleSources(REPO);
      const expressions: string[] = [];
      const keys: string[] = [];
      for (const c of CASES) {
        const variable = moduleFiles(sources, c.domain).json.variable?.[c.variable] as
          { validation?: Validation[] } | undefined;
        const conditions = (variable?.validation ?? []).map((v) => v.condition.slice(2, -1));
        for (const value of c.values) {
          // Each condition with the variable replaced by the literal (no other variables: those
          // rules that also read another variable hold for its default, null).
          const literal = JSON.stringify(value);
          const all = conditions
            .map((text) =>
              text.replaceAll(`var.${c.variable}`, literal).replaceAll("var.vault_lock", "null"),
            )
            .map((text) => `try(${text}, false)`);
          expressions.push(all.length ? all.join(" && ") : "true");
          keys.push(`${c.variable}=${literal}`);
        }
      }
      const dir = mkdtempSync(join(tmpdir(), "tandem-limits-"));
      try {
        writeFileSync(join(dir, "main.tf.json"), "{}");
        const result = spawnSync("terraform", ["console", "-no-color"], {
          cwd: dir,
          input: `jsonencode([${expressions.join(", ")}])\n`,
          encoding: "utf8",
          env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
        });
        if (result.status !== 0) throw new Error(result.stderr);
        const answers = JSON.parse(JSON.parse(result.stdout.trim()) as string) as boolean[];
        keys.forEach((key, i) => moduleAnswers.set(key, answers[i]!));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it.each(CASES.map((c) => [c.rule, c] as const))("%s: the same answer on both sides", (_, c) => {
      const disagreements = c.values.filter(
        (value) =>
          c.manifest(value) !== moduleAnswers.get(`${c.variable}=${JSON.stringify(value)}`),
      );
      expect(disagreements).toEqual([]);
    });
  },
);
