import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  commit,
  copyRelease,
  edit,
  editModuleJson,
  pinnedVersion,
  readJson,
  scratchRepo,
  tandem,
} from "./scratch.ts";

interface DeploymentsJson {
  deployments: {
    name: string;
    region: string;
    role: string;
    modules: Record<string, string>;
    sha256: string;
  }[];
}

const seconds = (text: string) =>
  [...text.matchAll(/(\d+)([hms])/g)].reduce(
    (sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as "h" | "m" | "s"],
    0,
  );

/** The lines `preview` prints under a deployment's header, up to the next header. */
function section(output: string, header: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`  ${header} `));
  expect(start, header).toBeGreaterThan(-1);
  const end = lines.findIndex((line, i) => i > start && /^( {0,2}\S|$)/.test(line));
  return lines.slice(start, end === -1 ? undefined : end);
}

describe("tandem preview", () => {
  let repo: string;
  let summary: DeploymentsJson;

  beforeAll(async () => {
    repo = scratchRepo();
    expect((await tandem(repo, ["synth", "--env", "staging"])).code).toBe(0);
    summary = readJson<DeploymentsJson>(join(repo, "dist/environments/staging/deployments.json"));
  });

  /** `type -> { known, unknown }` from the resource lines of a deployment's section. */
  function counted(lines: string[]): {
    total: number;
    unknown: number;
    types: Map<string, { known: number; unknown: boolean }>;
  } {
    const text = lines.map((line) => line.trim()).join(" ");
    const match =
      /^(\d+) resources(?: and (\d+) blocks? of a count known at apply \(\?\))?: (.+)$/.exec(text);
    expect(match, text).not.toBeNull();
    const types = new Map(
      match![3]!.split(", ").map((item) => {
        const [, type, n, unknown] = /^(\w+) x(\d*)(\+?\?)?$/.exec(item)!;
        return [type!, { known: Number(n || 0), unknown: unknown !== undefined }] as const;
      }),
    );
    return { total: Number(match![1]), unknown: Number(match![2] ?? 0), types };
  }

  it("prints per deployment its module versions and the resources it will create, counts resolved against role and inputs", async () => {
    const { code, stdout, stderr } = await tandem(repo, ["preview", "--env", "staging"]);
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toMatch(/^staging \(staging\): pay\.staging\.acme-payments\.com\n/);
    expect(stdout).not.toMatch(/^(dev|prod) /m);
    const byRole: Record<string, ReturnType<typeof counted>> = {};
    for (const d of summary.deployments) {
      const where = [d.role, d.region].filter((part) => part !== d.name).join(", ");
      const header = `${d.name} (${where}) sha256 ${d.sha256.slice(0, 12)}`;
      const [first, modules, ...resourceLines] = section(stdout, d.name);
      expect(first).toBe(`  ${header}`);
      for (const line of resourceLines) expect(line.length).toBeLessThanOrEqual(100);
      expect(modules).toMatch(/^ {4}modules: /);
      const listed = modules!.replace("    modules: ", "").split(" ").sort();
      expect(listed).toEqual(
        Object.entries(d.modules)
          .map(([m, v]) => `${m}@${v}`)
          .sort(),
      );
      const counts = counted(resourceLines);
      const known = [...counts.types.values()].reduce((sum, t) => sum + t.known, 0);
      expect(counts.total).toBe(known);
      byRole[d.role] = counts;
    }
    const { primary, secondary, global } = byRole as Record<string, ReturnType<typeof counted>>;
    const root = readJson<{ module: { database: { instance_count?: number } } }>(
      join(repo, "dist/environments/staging/us-east-1/main.tf.json"),
    );
    // role: the global cluster and the table exist in the primary only; a backup plan in both
    // (backup 1.2.0), so backups continue in whichever region survives
    expect(primary!.types.get("aws_rds_global_cluster")).toEqual({ known: 1, unknown: false });
    expect(secondary!.types.has("aws_rds_global_cluster")).toBe(false);
    expect(primary!.types.get("aws_backup_plan")).toEqual({ known: 1, unknown: false });
    expect(secondary!.types.get("aws_backup_plan")).toEqual({ known: 1, unknown: false });
    expect(secondary!.types.get("aws_dynamodb_table_replica")).toEqual({
      known: 1,
      unknown: false,
    });
    expect(primary!.types.has("aws_dynamodb_table_replica")).toBe(false);
    // inputs: staging has no vault lock; count = var.instance_count
    expect(primary!.types.has("aws_backup_vault_lock_configuration")).toBe(false);
    expect(primary!.types.get("aws_rds_cluster_instance")?.known).toBe(
      root.module.database.instance_count ?? 2,
    );
    // what needs the AZs the account has (a data source) is unknown, not guessed
    expect(primary!.types.get("aws_subnet")).toEqual({ known: 0, unknown: true });
    expect(primary!.unknown).toBeGreaterThan(0);
    // the global root: two health checks, alarms on ids known only at apply
    expect(global!.types.get("aws_route53_health_check")).toEqual({ known: 2, unknown: false });
    expect(global!.types.get("aws_cloudwatch_metric_alarm")?.unknown).toBe(true);
  });

  it("counts a block that an input turns on: prod's vault lock", async () => {
    const { stdout } = await tandem(repo, ["preview", "--env", "prod"]);
    const primary = counted(section(stdout, "us-east-1").slice(2));
    expect(primary.types.get("aws_backup_vault_lock_configuration")).toEqual({
      known: 1,
      unknown: false,
    });
  });

  it("prints the RTO budget term by term against the objective, and the RPO alarm", async () => {
    const { stdout } = await tandem(repo, ["preview"]);
    for (const env of ["dev", "prod", "staging"]) {
      const manifest = parse(readFileSync(join(repo, "environments", `${env}.yaml`), "utf8")) as {
        objectives: { rto: string; rpo: string };
      };
      const start = stdout.split("\n").findIndex((line) => line.startsWith(`${env} (`));
      const [rto, rpo] = stdout.split("\n").slice(start + 1, start + 3);
      const match = /^ {2}RTO (\S+): (.+) = (\S+) \((fits|EXCEEDS)\)$/.exec(rto!);
      expect(match, rto).not.toBeNull();
      const [, objective, terms, total, verdict] = match!;
      expect(seconds(objective!)).toBe(seconds(manifest.objectives.rto));
      const parts = terms!.split(" + ");
      expect(parts.length).toBeGreaterThanOrEqual(3);
      expect(parts.reduce((sum, part) => sum + seconds(part.split(" ").at(-1)!), 0)).toBe(
        seconds(total!),
      );
      expect(verdict).toBe(seconds(total!) <= seconds(objective!) ? "fits" : "EXCEEDS");
      const lag = seconds(manifest.objectives.rpo) * 1000;
      expect(rpo).toMatch(new RegExp(`^ {2}RPO \\S+: Aurora replication-lag alarm at ${lag} ms$`));
    }
  });

  it("with --base, marks what changed and lists the resources a module version bump adds, removes and changes", async () => {
    const pinned = pinnedVersion(repo, "staging", "dns");
    const dir = copyRelease(repo, "dns", pinned, "9.0.0");
    editModuleJson(join(repo, dir, "main.tf.json"), (json) => {
      const checks = json.resource.aws_route53_health_check!;
      checks.extra = { ...checks.this! };
      delete json.resource.aws_route53_query_log;
      json.resource.aws_route53_zone!.this!.comment = "changed in 9.0.0";
    });
    edit(repo, "environments/staging.yaml", (text) => text.replace(`dns: ${pinned}`, "dns: 9.0.0"));
    commit(repo, "staging takes dns 9.0.0");

    const { code, stdout, stderr } = await tandem(repo, [
      "preview",
      "--env",
      "staging",
      "--base",
      "HEAD~1",
    ]);
    expect([code, stderr]).toEqual([0, ""]);
    for (const d of summary.deployments.filter((d) => d.role !== "global")) {
      const lines = section(stdout, d.name);
      expect(lines[0]).toMatch(/ \[unchanged\]$/);
      expect(lines.filter((line) => /^ {4}[+~-] /.test(line))).toEqual([]);
    }
    const [header, modules, ...rest] = section(stdout, "global");
    expect(header).toMatch(/ \[changed\]$/);
    expect(modules).toContain("dns@9.0.0");
    expect(rest.filter((line) => /^ {4}[+~-] /.test(line)).sort()).toEqual(
      [
        "    + module.dns.aws_route53_health_check.extra",
        "    - module.dns.aws_route53_query_log.this",
        "    ~ module.dns.aws_route53_zone.this",
        `    ~ module.dns ${pinned} -> 9.0.0`,
      ].sort(),
    );
  });

  it("with --base, marks every deployment of an environment the base lacks as new", async () => {
    const staging = readFileSync(join(repo, "environments/staging.yaml"), "utf8");
    writeFileSync(join(repo, "environments/qa.yaml"), staging.replace("name: staging", "name: qa"));
    const lock = readFileSync(join(repo, "environments/staging.terraform.lock.hcl"));
    writeFileSync(join(repo, "environments/qa.terraform.lock.hcl"), lock);
    const { code, stdout } = await tandem(repo, ["preview", "--env", "qa", "--base", "HEAD"]);
    expect(code).toBe(0);
    const headers = stdout
      .split("\n")
      .filter((line) => /^ {2}\S/.test(line) && line.includes("sha256"));
    // identity, the two regional roots and global
    expect(headers).toHaveLength(4);
    for (const line of headers) expect(line).toMatch(/ \[new\]$/);
  });
});
