import { describe, expect, it } from "vitest";
import {
  failoverBudget,
  formatProblem,
  loadEnvironment,
  loadEnvironments,
} from "../../src/manifest/index.ts";
import { DOMAINS } from "../../src/manifest/schema.ts";
import { REPO, releaseRoot, scratch } from "./roots.ts";

const EXAMPLES = ["environments/dev.yaml", "environments/prod.yaml", "environments/staging.yaml"];

describe("the example manifests", () => {
  it("are valid once 1.0.0 of every module is released", () => {
    const { environments, problems } = loadEnvironments(EXAMPLES, {
      root: releaseRoot(),
      cwd: REPO,
    });
    expect(problems.map(formatProblem)).toEqual([]);
    expect(environments.map((e) => e.file)).toEqual(EXAMPLES);
  });

  it("resolve module versions: exact pins, the highest release in a range, workspace where allowed", () => {
    const root = releaseRoot({ database: ["1.0.0", "1.2.0", "2.0.0"] });
    const { environments } = loadEnvironments(EXAMPLES, { root, cwd: REPO });
    const [dev, prod, staging] = environments;
    expect(prod!.modules).toEqual(Object.fromEntries(DOMAINS.map((d) => [d, "1.0.0"]))); // exact pins stay put
    expect(staging!.modules.database).toBe("1.2.0"); // ^1.0.0
    expect(dev!.modules).toEqual({
      networking: "workspace",
      database: "workspace",
      backup: "1.0.0",
      compute: "workspace",
      monitoring: "workspace",
      dns: "1.0.0",
    });
  });

  it("apply the schema's defaults, with durations in seconds", () => {
    const { environment } = loadEnvironment("environments/prod.yaml", {
      root: releaseRoot(),
      cwd: REPO,
    });
    const prod = environment!.manifest;
    expect(prod.tier).toBe("production");
    expect(prod.objectives).toEqual({ rto: 900, rpo: 60 });
    expect(prod.dns.healthCheck.interval).toBe(10);
    expect(prod.dns.ttl).toBe(60);
    expect(prod.database.deletionProtection).toBe(true);
    expect(prod.backup.schedule).toBe("cron(0 3 * * ? *)");
  });

  it("fit their RTO: detection + DNS TTL + promotion", () => {
    const { environments } = loadEnvironments(EXAMPLES, { root: releaseRoot(), cwd: REPO });
    const budgets = environments.map((e) => [
      e.manifest.name,
      failoverBudget(e.manifest).total,
      e.manifest.objectives.rto,
    ]);
    expect(budgets).toEqual([
      ["dev", 30 * 3 + 60 + 300, 1800],
      ["prod", 10 * 3 + 60 + 300, 900],
      ["staging", 30 * 3 + 60 + 300, 900],
    ]);
  });

  it("fail before the first release, saying that none exists yet", () => {
    const { problems } = loadEnvironment("environments/prod.yaml", { root: scratch(), cwd: REPO });
    const inFileOrder = ["networking", "database", "compute", "backup", "dns", "monitoring"];
    expect(problems.map((p) => [p.line, p.path, p.message])).toEqual(
      inFileOrder.map((d, i) => [
        9 + i,
        `modules.${d}`,
        `1.0.0 is not released: modules/${d}/releases/ has no versions yet`,
      ]),
    );
  });
});
