/**
 * The runner against a real binary (terraform or tofu): plan → artifacts → apply in dependsOn
 * order, and every refusal the issue lists. One suite, run once per tool.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyCommand } from "../src/apply.ts";
import { artifactName, DirectoryStore, PLAN_FILE } from "../src/artifacts.ts";
import type { Context } from "../src/context.ts";
import { loadDeployments } from "../src/deployments.ts";
import { createClient, GitHub } from "../src/github.ts";
import { driftCommand } from "../src/drift.ts";
import { planCommand } from "../src/plan.ts";
import { STATEFUL_TYPES } from "../src/plan-summary.ts";
import { manifestBudget } from "../src/rto.ts";
import { Terraform, type Tool } from "../src/terraform.ts";
import { findTool, FixtureRepo, STAGING_ROOTS } from "./fixtures.ts";
import { FakeGitHub } from "./github-server.ts";

const HEAD = "1".repeat(40);
const MERGE = "2".repeat(40);
/** Tests only: terraform_data stands in for a stateful type, so a replace of it is data at risk. */
const TEST_STATEFUL = new Set([...STATEFUL_TYPES, "terraform_data"]);

export function runnerSuite(tool: Tool): void {
  const found = findTool(tool);
  const title =
    "missing" in found ? `${tool} runner (skipped: ${found.missing})` : `${tool} runner`;
  if ("missing" in found) console.warn(`skipping the ${tool} runner tests: ${found.missing}`);

  describe.skipIf("missing" in found)(title, () => {
    const bin = "bin" in found ? found.bin : tool;
    let repo: FixtureRepo;
    let server: FakeGitHub;
    let work: string;
    let cache: string;
    let logs: string[];
    let version: string;

    beforeAll(async () => {
      cache = mkdtempSync(join(tmpdir(), "tandem-cache-"));
      version = await new Terraform({ tool, bin, pluginCacheDir: cache }).version();
    });
    afterAll(() => rmSync(cache, { recursive: true, force: true }));
    beforeEach(async () => {
      // deployments.json lists global first: the order must come from dependsOn.
      repo = new FixtureRepo("staging", structuredClone(STAGING_ROOTS).reverse());
      server = new FakeGitHub();
      await server.start();
      work = mkdtempSync(join(tmpdir(), "tandem-work-"));
      logs = [];
    });
    afterEach(async () => {
      await server.stop();
      repo.remove();
      rmSync(work, { recursive: true, force: true });
    });

    const terraform = () => new Terraform({ tool, bin, pluginCacheDir: cache });
    function context(overrides: Partial<Context> = {}): Context {
      const deployments = loadDeployments(repo.root, "staging");
      const client = createClient({ token: "t", baseUrl: server.url, retryBaseMs: 10 });
      const runDir = mkdtempSync(join(work, "run-"));
      return {
        repoRoot: repo.root,
        environment: "staging",
        deployments,
        selected: deployments.deployments,
        terraform: terraform(),
        toolVersion: version,
        store: new DirectoryStore(join(work, "artifacts")),
        github: new GitHub(client, server.owner, server.repo),
        sha: HEAD,
        workDir: runDir,
        statefulTypes: TEST_STATEFUL,
        allowReplan: false,
        budget: manifestBudget(repo.root, "staging"),
        log: { info: (t) => logs.push(t), untrusted: (t) => logs.push(t) },
        ...overrides,
      };
    }

    async function reviewPlan(labels: string[] = []) {
      server.addPull(1, HEAD, labels);
      const result = await planCommand(context({ pullRequest: { number: 1, headSha: HEAD } }));
      server.issues.get(1)!.pull!.mergeCommitSha = MERGE;
      return result;
    }

    const apply = (overrides: Partial<Context> = {}) =>
      applyCommand(context({ sha: MERGE, ...overrides }));
    const outcomes = (result: { summary: unknown }) =>
      (result.summary as { roots: { name: string; status: string; reason?: string }[] }).roots;

    /** Changes a root's state behind the reviewer's back: apply a different plan first. */
    async function applyOtherPlan(root: string, extra: string[]) {
      const tf = terraform();
      const dir = join(repo.dir, root);
      await tf.init(dir);
      const file = join(work, `other-${root}.tfplan`);
      await tf.plan(dir, file, extra);
      await tf.apply(dir, file);
    }

    async function applyEverything() {
      for (const root of ["us-east-1", "us-west-2", "global"]) await applyOtherPlan(root, []);
    }

    it("plans every root, keeps each bundle as an artifact, applies the reviewed plans in dependsOn order", async () => {
      const planned = await reviewPlan();
      expect(planned.changed.sort()).toEqual(["global", "us-east-1", "us-west-2"]);
      expect(readdirSync(join(work, "artifacts")).sort()).toEqual(
        ["global", "us-east-1", "us-west-2"].map((r) => artifactName("staging", r, HEAD)).sort(),
      );
      const comment = server.issues.get(1)!.comments;
      expect(comment).toHaveLength(1);
      expect(comment[0]!.body).toMatch(/^<!-- tandem:plan env=staging \{"head":"1{40}"/);
      expect(comment[0]!.body).toContain(
        `| \`us-east-1\` | \`us-east-1\` | 2 | 0 | 0 | 0 | none |`,
      );

      const result = await apply();
      expect(outcomes(result).map((o) => [o.name, o.status])).toEqual([
        ["us-east-1", "applied"],
        ["us-west-2", "applied"],
        ["global", "applied"],
      ]);
      expect(logs.filter((l) => l.endsWith(": applied"))).toEqual([
        "staging/us-east-1: applied",
        "staging/us-west-2: applied",
        "staging/global: applied",
      ]);
      expect(repo.applied("us-west-2")).toEqual({ table: "payments-v1", vpc: "10.1.0.0/16" });
      expect(server.issues.get(1)!.comments).toHaveLength(1);
      expect(server.issues.get(1)!.comments[0]!.body).toMatch(
        /### Apply of `staging`[\s\S]*`global` \| ✅ applied/,
      );
      expect(result.failure).toBeUndefined();
    });

    it("refuses a stale plan and leaves later roots untouched; allow-replan applies equal changes", async () => {
      await applyEverything();
      repo.setResource("us-east-1", "table", "payments-v2");
      await reviewPlan();
      await applyOtherPlan("us-east-1", [
        "-replace=terraform_data.vpc",
        "-target=terraform_data.vpc",
      ]);
      const before = readFileSync(join(repo.dir, "us-west-2", "terraform.tfstate"), "utf8");

      const refused = await apply({ statefulTypes: STATEFUL_TYPES });
      expect(outcomes(refused).map((o) => o.status)).toEqual(["refused", "skipped", "skipped"]);
      expect(outcomes(refused)[0]!.reason).toMatch(/stale/);
      expect(refused.failure).toMatch(/us-east-1 refused/);
      expect(repo.applied("us-east-1").table).toBe("payments-v1");
      expect(readFileSync(join(repo.dir, "us-west-2", "terraform.tfstate"), "utf8")).toBe(before);

      const replanned = await apply({ allowReplan: true, statefulTypes: STATEFUL_TYPES });
      expect(outcomes(replanned).map((o) => o.status)).toEqual(["applied", "applied", "applied"]);
      expect(outcomes(replanned)[0]!.reason).toMatch(/re-planned/);
      expect(repo.applied("us-east-1").table).toBe("payments-v2");
    });

    it("with allow-replan, still refuses when the re-plan's changes differ from the reviewed ones", async () => {
      await applyEverything();
      repo.setResource("us-east-1", "table", "payments-v2");
      await reviewPlan();
      await applyOtherPlan("us-east-1", ["-replace=terraform_data.table"]);
      const result = await apply({ allowReplan: true, statefulTypes: STATEFUL_TYPES });
      expect(outcomes(result)[0]).toMatchObject({ status: "refused" });
      expect(outcomes(result)[0]!.reason).toMatch(/re-plan's resource changes differ/);
    });

    it("refuses a root whose sha256 changed since review", async () => {
      await reviewPlan();
      repo.setResource("us-west-2", "vpc", "10.2.0.0/16");
      const result = await apply();
      expect(outcomes(result).map((o) => o.status)).toEqual(["applied", "refused", "skipped"]);
      expect(outcomes(result)[1]!.reason).toMatch(
        /us-west-2 changed since review: the merged root's sha256 is [0-9a-f]{64}/,
      );
      expect(repo.state("us-west-2")).toBeUndefined();
      expect(repo.state("global")).toBeUndefined();
    });

    it("refuses data at risk without the label and applies it with the label", async () => {
      await applyEverything();
      repo.setResource("us-east-1", "table", "payments-v2");
      await reviewPlan();
      const body = server.issues.get(1)!.comments[0]!.body;
      const caution = body.indexOf(
        "Data at risk in us-east-1: this plan replaces terraform\\_data.table",
      );
      expect(caution).toBeGreaterThan(0);
      expect(caution).toBeLessThan(body.indexOf("| Root |"));

      const refused = await apply();
      expect(outcomes(refused)[0]!.reason).toMatch(
        /data at risk \(replace terraform_data.table\).*tandem:allow-data-loss/,
      );
      expect(repo.applied("us-east-1").table).toBe("payments-v1");

      server.issues.get(1)!.labels.push("tandem:allow-data-loss");
      const applied = await apply();
      expect(outcomes(applied).map((o) => o.status)).toEqual(["applied", "applied", "applied"]);
      expect(repo.applied("us-east-1").table).toBe("payments-v2");
    });

    it("refuses a tampered plan and a plan from another head", async () => {
      await reviewPlan();
      const planFile = join(
        work,
        "artifacts",
        artifactName("staging", "us-east-1", HEAD),
        PLAN_FILE,
      );
      const bytes = readFileSync(planFile);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      writeFileSync(planFile, bytes);
      const tampered = await apply();
      expect(outcomes(tampered)[0]!.reason).toMatch(
        /plan.tfplan has sha256 [0-9a-f]{64}, not the [0-9a-f]{64} its manifest records/,
      );

      server.issues.get(1)!.pull!.headSha = "3".repeat(40);
      const moved = await apply();
      expect(outcomes(moved)[0]!.reason).toMatch(
        /no plan was reviewed for us-east-1 on the pull request's last head 3{40}/,
      );
      expect(repo.state("us-east-1")).toBeUndefined();
    });

    it("drift keeps one issue per environment while it drifts and closes it when clean", async () => {
      await applyEverything();
      const clean = await driftCommand(context({ sha: MERGE }));
      expect(clean.changed).toEqual([]);
      expect([...server.issues.values()]).toEqual([]);

      // The live state no longer matches what main says (here: main moved on without an apply).
      repo.setResource("us-west-2", "vpc", "10.3.0.0/16");
      const drifted = await driftCommand(context({ sha: MERGE }));
      expect(drifted.changed).toEqual(["us-west-2"]);
      const again = await driftCommand(context({ sha: MERGE }));
      const issues = [...server.issues.values()];
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ state: "open", title: "Drift in staging: us-west-2" });
      expect(issues[0]!.body).toMatch(
        /^<!-- tandem:drift env=staging -->\n<!-- tandem:plan env=staging /,
      );
      expect((again.summary as { issue: number }).issue).toBe(issues[0]!.number);

      repo.setResource("us-west-2", "vpc", "10.1.0.0/16");
      await driftCommand(context({ sha: MERGE }));
      expect(issues[0]!.state).toBe("closed");
      expect(issues[0]!.comments.map((c) => c.body)).toEqual([
        "No drift in `staging` at `222222222222`: closing.",
      ]);
    });
  });
}
