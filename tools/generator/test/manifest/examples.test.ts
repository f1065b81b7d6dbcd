import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProblem, loadEnvironment, loadEnvironments } from "../../src/manifest/index.ts";
import { rtoBudget } from "../../src/manifest/rules.ts";
import { REPO, releasedRoot, scratch } from "../../src/testing.ts";

const EXAMPLES = ["environments/dev.yaml", "environments/prod.yaml", "environments/staging.yaml"];

describe("the example manifests", () => {
  it("are valid with the modules released here", () => {
    const { environments, problems } = loadEnvironments(EXAMPLES, {
      root: releasedRoot(),
      cwd: REPO,
    });
    expect(problems.map(formatProblem)).toEqual([]);
    expect(environments.map((e) => e.file)).toEqual(EXAMPLES);
  });

  it("resolve module versions: exact pins, the highest release in a range, workspace where allowed", () => {
    const released = releasedRoot();
    const { environments } = loadEnvironments(EXAMPLES, { root: released, cwd: REPO });
    const [dev, prod, staging] = environments;
    for (const env of [prod!, staging!]) {
      for (const [domain, version] of Object.entries(env.modules)) {
        expect(env.manifest.modules[domain as "dns"], `${env.file} ${domain}`).toMatch(
          new RegExp(`^\\^?${version.replace(/[.]/g, "[.]")}$`),
        );
      }
    }
    expect(Object.values(dev!.modules)).toContain("workspace");
    // A range takes the highest release it allows, never the next major.
    const text = readFileSync(join(REPO, "environments/staging.yaml"), "utf8").replace(
      /database: .*/,
      "database: ^1.0.0",
    );
    const dir = scratch();
    writeFileSync(join(dir, "staging.yaml"), text);
    const root = releasedRoot({ database: ["1.0.0", "1.9.0", "2.0.0"] });
    const { environment } = loadEnvironment("staging.yaml", { root, cwd: dir });
    expect(environment?.modules.database).toBe("1.9.0");
  });

  it("apply the schema's defaults, with durations in seconds", () => {
    const { environment } = loadEnvironment("environments/prod.yaml", {
      root: releasedRoot(),
      cwd: REPO,
    });
    const prod = environment!.manifest;
    expect(prod.tier).toBe("production");
    expect(prod.objectives).toEqual({ rto: 900, rpo: 60 });
    expect(prod.dns.healthCheck.interval).toBe(10);
    expect(prod.dns.ttl).toBeUndefined();
    expect(prod.database.deletionProtection).toBe(true);
    expect(prod.backup.schedule).toBe("cron(0 3 * * ? *)");
  });

  it("fit their RTO: detection (the alarm's from dns 2.0.0) + alias TTL on the payment path, the promotion in parallel", () => {
    const { environments } = loadEnvironments(EXAMPLES, { root: releasedRoot(), cwd: REPO });
    const budgets = environments.map((e) => {
      const budget = rtoBudget(e.manifest, e.modules.dns);
      return [e.manifest.name, budget.trafficSeconds, budget.total, e.manifest.objectives.rto];
    });
    expect(budgets).toEqual([
      ["dev", 3 * 60 + 60, 300, 1800],
      ["prod", 10 * 3 + 60, 300, 900],
      ["staging", 3 * 60 + 60, 300, 900],
    ]);
  });

  it("fail before the first release, saying that none exists yet", () => {
    const { problems } = loadEnvironment("environments/prod.yaml", { root: scratch(), cwd: REPO });
    const inFileOrder = ["networking", "database", "compute", "backup", "dns", "monitoring"];
    const prod = readFileSync(join(REPO, "environments/prod.yaml"), "utf8");
    const pin = (d: string) => new RegExp(`^\\s+${d}: (\\S+)$`, "m").exec(prod)![1]!;
    expect(problems.map((p) => [p.line, p.path, p.message])).toEqual(
      inFileOrder.map((d, i) => [
        9 + i,
        `modules.${d}`,
        `${pin(d)} is not released: modules/${d}/releases/ has no versions yet`,
      ]),
    );
  });
});
