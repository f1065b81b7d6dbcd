import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  commit,
  copyRelease,
  edit,
  editModuleJson,
  readJson,
  scratchRepo,
  tandem,
  type ModuleJson,
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

  it("prints per deployment its module versions and resource blocks by type, counted from the modules it calls", async () => {
    const { code, stdout, stderr } = await tandem(repo, ["preview", "--env", "staging"]);
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toMatch(/^staging \(staging\): pay\.staging\.acme-payments\.com\n/);
    expect(stdout).not.toMatch(/^(dev|prod) /m);
    for (const d of summary.deployments) {
      const where = [d.role, d.region].filter((part) => part !== d.name).join(", ");
      const header = `${d.name} (${where}) sha256 ${d.sha256.slice(0, 12)}`;
      const [first, modules, ...resourceLines] = section(stdout, d.name);
      expect(first).toBe(`  ${header}`);
      for (const line of resourceLines) expect(line.length).toBeLessThanOrEqual(100);
      const resources = resourceLines.map((line) => line.trim()).join(" ");
      expect(modules).toMatch(/^ {4}modules: /);
      const listed = modules!.replace("    modules: ", "").split(" ").sort();
      expect(listed).toEqual(
        Object.entries(d.modules)
          .map(([m, v]) => `${m}@${v}`)
          .sort(),
      );

      const root = readJson<{ module: Record<string, { source: string }> }>(
        join(repo, "dist/environments/staging", d.name, "main.tf.json"),
      );
      const counts = new Map<string, number>();
      for (const { source } of Object.values(root.module)) {
        const dir = resolve(join(repo, "dist/environments/staging", d.name), source);
        const json = readJson<ModuleJson>(join(dir, "main.tf.json"));
        for (const [type, byName] of Object.entries(json.resource))
          counts.set(type, (counts.get(type) ?? 0) + Object.keys(byName).length);
      }
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const byType = [...counts]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, n]) => `${type} x${n}`)
        .join(", ");
      expect(resources).toBe(`${total} resource blocks: ${byType}`);
    }
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
    const dir = copyRelease(repo, "dns", "1.0.0", "1.0.1");
    editModuleJson(join(repo, dir, "main.tf.json"), (json) => {
      const checks = json.resource.aws_route53_health_check!;
      checks.extra = { ...checks.this! };
      delete json.resource.aws_route53_query_log;
      json.resource.aws_route53_zone!.this!.comment = "changed in 1.0.1";
    });
    edit(repo, "environments/staging.yaml", (text) => text.replace("dns: 1.0.0", "dns: 1.0.1"));
    commit(repo, "staging takes dns 1.0.1");

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
    expect(modules).toContain("dns@1.0.1");
    expect(rest.filter((line) => /^ {4}[+~-] /.test(line)).sort()).toEqual(
      [
        "    + module.dns.aws_route53_health_check.extra",
        "    - module.dns.aws_route53_query_log.this",
        "    ~ module.dns.aws_route53_zone.this",
        "    ~ module.dns 1.0.0 -> 1.0.1",
      ].sort(),
    );
  });

  it("with --base, marks every deployment of an environment the base lacks as new", async () => {
    const staging = readFileSync(join(repo, "environments/staging.yaml"), "utf8");
    writeFileSync(join(repo, "environments/qa.yaml"), staging.replace("name: staging", "name: qa"));
    const { code, stdout } = await tandem(repo, ["preview", "--env", "qa", "--base", "HEAD"]);
    expect(code).toBe(0);
    const headers = stdout
      .split("\n")
      .filter((line) => /^ {2}\S/.test(line) && line.includes("sha256"));
    expect(headers).toHaveLength(3);
    for (const line of headers) expect(line).toMatch(/ \[new\]$/);
  });
});
