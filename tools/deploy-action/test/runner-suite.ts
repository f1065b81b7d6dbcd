/**
 * The runner against a real binary (terraform or tofu): plan → review artifacts → apply, which
 * re-plans on the merged code and applies that fresh plan only when it equals the review. Every
 * refusal and recovery the pipeline has. One suite, run once per tool.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyCommand } from "../src/apply.ts";
import { artifactName, CHANGE_SET_FILE, DirectoryStore, PLAN_TEXT_FILE } from "../src/artifacts.ts";
import { changeSetOf, changeSetSha256 } from "../src/change-set.ts";
import { markerPrefix, parseMarker } from "../src/comment.ts";
import type { Context } from "../src/context.ts";
import { loadDeployments } from "../src/deployments.ts";
import { driftCommand } from "../src/drift.ts";
import { createClient, GitHub } from "../src/github.ts";
import { planCommand } from "../src/plan.ts";
import { STATEFUL_TYPES } from "../src/plan-summary.ts";
import { recoveryMarker } from "../src/recovery.ts";
import { manifestBudget } from "../src/rto.ts";
import { Terraform, type Tool } from "../src/terraform.ts";
import { unlockCommand } from "../src/unlock.ts";
import { findTool, FixtureRepo, STAGING_ROOTS } from "./fixtures.ts";
import { BOT, FakeGitHub } from "./github-server.ts";
import { StateServer } from "./state-server.ts";

const sha = (c: string) => c.repeat(40);
const M0 = sha("0");
const HEAD = sha("1");
const MERGE = sha("2");
/** Tests only: terraform_data stands in for a stateful type, so a replace of it is data at risk. */
const TEST_STATEFUL = new Set([...STATEFUL_TYPES, "terraform_data"]);
const ALL = ["us-east-1", "us-west-2", "global"];

/** A Terraform whose apply of one root fails once: a killed runner, expired credentials. */
class FailingOnce extends Terraform {
  failed = false;
  constructor(
    options: ConstructorParameters<typeof Terraform>[0],
    private readonly root: string,
  ) {
    super(options);
  }
  override async apply(dir: string, planFile: string) {
    if (!this.failed && dir.endsWith(this.root)) {
      this.failed = true;
      throw new Error("the runner lost its credentials");
    }
    return super.apply(dir, planFile);
  }
}

export function runnerSuite(tool: Tool): void {
  const found = findTool(tool);
  const title =
    "missing" in found ? `${tool} runner (skipped: ${found.missing})` : `${tool} runner`;
  if ("missing" in found) console.warn(`skipping the ${tool} runner tests: ${found.missing}`);

  // Each test runs several real init/plan/apply rounds: 30 s is not enough on a loaded machine.
  describe.skipIf("missing" in found)(title, { timeout: 180_000 }, () => {
    const bin = "bin" in found ? found.bin : tool;
    let repo: FixtureRepo;
    let server: FakeGitHub;
    let work: string;
    let cache: string;
    let logs: string[];
    let version: string;
    let summaries: string[];

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
      summaries = [];
    });
    afterEach(async () => {
      await server.stop();
      repo.remove();
      rmSync(work, { recursive: true, force: true });
    });

    const options = () => ({ tool, bin, pluginCacheDir: cache });
    const terraform = () => new Terraform(options());
    function context(overrides: Partial<Context> = {}): Context {
      const deployments = loadDeployments(repo.root, "staging");
      const client = createClient({ token: "t", baseUrl: server.url, retryBaseMs: 10 });
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
        workDir: mkdtempSync(join(work, "run-")),
        statefulTypes: STATEFUL_TYPES,
        history: repo.history(),
        budget: manifestBudget(repo.root, "staging"),
        log: { info: (t) => logs.push(t), untrusted: (t) => logs.push(t) },
        jobSummary: async (t) => void summaries.push(t),
        ...overrides,
      };
    }

    /** The plan workflow on pull request `number` at `head`, for `roots` (all by default). */
    async function review(number: number, head: string, roots = ALL, labels: string[] = []) {
      if (!server.issues.has(number)) server.addPull(number, head, labels);
      server.issues.get(number)!.pull!.headSha = head;
      server.addRun({
        workflow: "plan.yml",
        event: "pull_request",
        head_sha: head,
        created_at: new Date().toISOString(),
      });
      const ctx = context({ sha: head, pullRequest: { number, headSha: head } });
      return planCommand({ ...ctx, selected: ctx.selected.filter((d) => roots.includes(d.name)) });
    }

    /** Merges pull request `number` as main's commit `merge` (the tree as it is now). */
    function merge(number: number, merge: string) {
      repo.commit(merge);
      server.issues.get(number)!.pull!.mergeCommitSha = merge;
    }

    const apply = (at = MERGE, overrides: Partial<Context> = {}) =>
      applyCommand(context({ sha: at, ...overrides }));
    const statuses = (result: { summary: unknown }) =>
      (result.summary as { roots: { name: string; status: string }[] }).roots.map((o) => [
        o.name,
        o.status,
      ]);
    const reasons = (result: { summary: unknown }) =>
      (result.summary as { roots: { reason?: string }[] }).roots
        .map((o) => o.reason ?? "")
        .join("\n") +
      ((result.summary as { merges?: { refused?: string }[] }).merges ?? [])
        .map((m) => m.refused ?? "")
        .join("\n");
    const ledger = () => server.deployments.map((d) => [d.sha, d.statuses.at(-1)!.state]);

    /** Everything applied as main's first commit M0, recorded as the last successful apply. */
    async function appliedBaseline() {
      const tf = terraform();
      for (const root of ALL) {
        const dir = join(repo.dir, root);
        await tf.init(dir);
        await tf.plan(dir, join(work, `${root}.tfplan`));
        await tf.apply(dir, join(work, `${root}.tfplan`));
      }
      repo.commit(M0);
      server.addDeployment("staging", M0);
    }

    it("plans every root into review artifacts with no state; apply re-plans, checks and applies in dependsOn order", async () => {
      const planned = await review(1, HEAD);
      expect(planned.changed.sort()).toEqual([...ALL].sort());
      const artifact = join(work, "artifacts", artifactName("staging", "us-east-1", HEAD));
      expect(readdirSync(artifact).sort()).toEqual([CHANGE_SET_FILE, PLAN_TEXT_FILE]);
      const body = server.issues.get(1)!.comments[0]!.body;
      const header = parseMarker(body, "staging")!;
      expect(Object.keys(header.changeSets).sort()).toEqual([...ALL].sort());
      expect(body).toContain(`Change set sha256: \`${header.changeSets["us-east-1"]}\``);
      expect(body).toContain("| `us-east-1` | `us-east-1` | 2 | 0 | 0 | 0 | none |");

      merge(1, MERGE);
      const result = await apply();
      expect(statuses(result)).toEqual(ALL.map((r) => [r, "applied"]));
      expect(repo.applied("us-west-2")).toEqual({ table: "payments-v1", vpc: "10.1.0.0/16" });
      expect(server.issues.get(1)!.comments).toHaveLength(1);
      expect(server.issues.get(1)!.comments[0]!.body).toMatch(
        /### Apply of `staging`[\s\S]*`global` \| ✅ applied/,
      );
      expect(ledger()).toEqual([[MERGE, "success"]]);
      expect(result.failure).toBeUndefined();

      // Applied once: a second run finds nothing pending.
      const again = await apply();
      expect(statuses(again)).toEqual([]);
      expect(summaries.at(-1)).toMatch(/Nothing to apply/);
    });

    it("a forged review (another configuration's plan, every hash and the comment header rewritten) never gets its extra resource applied", async () => {
      await review(1, HEAD);
      // The pull request's job runs the pull request's code: it can write anything it uploads
      // and, with its token, the comment. It plans a configuration with one more resource.
      const forgedRepo = new FixtureRepo("staging", [
        {
          ...structuredClone(STAGING_ROOTS[0]!),
          resources: { ...STAGING_ROOTS[0]!.resources, backdoor: "open" },
        },
      ]);
      try {
        const dir = join(forgedRepo.dir, "us-east-1");
        const tf = terraform();
        await tf.init(dir);
        const file = join(work, "forged.tfplan");
        await tf.plan(dir, file);
        const changeSet = changeSetOf(await tf.showJson(dir, file));
        expect(changeSet.resources.map((r) => r.address)).toContain("terraform_data.backdoor");
        const artifact = join(work, "artifacts", artifactName("staging", "us-east-1", HEAD));
        writeFileSync(
          join(artifact, CHANGE_SET_FILE),
          JSON.stringify({ environment: "staging", root: "us-east-1", headSha: HEAD, changeSet }),
        );
        writeFileSync(
          join(artifact, "plan.tfplan"),
          await import("node:fs").then((fs) => fs.readFileSync(file)),
        );
        const comment = server.issues.get(1)!.comments[0]!;
        const header = parseMarker(comment.body, "staging")!;
        const forged = {
          ...header,
          changeSets: { ...header.changeSets, "us-east-1": changeSetSha256(changeSet) },
        };
        comment.body = comment.body.replace(
          /^[^\n]*/,
          `${markerPrefix("staging")}${JSON.stringify(forged)} -->`,
        );
      } finally {
        forgedRepo.remove();
      }

      merge(1, MERGE);
      const result = await apply();
      expect(statuses(result)).toEqual([
        ["us-east-1", "refused"],
        ["us-west-2", "skipped"],
        ["global", "skipped"],
      ]);
      expect(reasons(result)).toContain(
        "the fresh plan of us-east-1 differs from the one reviewed on #1:",
      );
      expect(reasons(result)).toContain(
        "- terraform_data.backdoor (create): reviewed, no longer planned",
      );
      expect(repo.state("us-east-1")).toBeUndefined();
      expect(ledger()).toEqual([[MERGE, "failure"]]);
    });

    it("refuses a root that changed since review, with a readable diff, and touches no later root", async () => {
      await appliedBaseline();
      repo.setResource("us-east-1", "vpc", "10.5.0.0/16");
      await review(1, HEAD, ["us-east-1", "us-west-2"]);
      repo.setResource("us-east-1", "vpc", "10.6.0.0/16"); // a commit after the review
      merge(1, MERGE);
      const result = await apply();
      expect(statuses(result)).toEqual([
        ["us-east-1", "refused"],
        ["us-west-2", "skipped"],
      ]);
      expect(reasons(result)).toMatch(
        /~ terraform_data\.vpc:\n {2}input: reviewed .*10\.5\.0\.0\/16.*, now .*10\.6\.0\.0\/16/,
      );
      expect(repo.applied("us-east-1").vpc).toBe("10.0.0.0/16");
    });

    it("believes only its own comment: another author's marker is neither edited nor believed; a missing header refuses", async () => {
      server.addPull(1, HEAD);
      const theirs = server.addComment(
        1,
        `${markerPrefix("staging")}{"head":"${HEAD}","roots":{},"changeSets":{}} -->\nlooks legit`,
        "mallory",
      );
      merge(1, MERGE);
      const unbelieved = await apply();
      expect(reasons(unbelieved)).toContain(`#1 has no plan comment for staging written by ${BOT}`);
      expect(theirs.body).toContain("looks legit");

      await review(1, HEAD);
      const comments = server.issues.get(1)!.comments;
      expect(comments.map((c) => c.author)).toEqual(["mallory", BOT]);
      expect(theirs.body).toContain("looks legit");

      comments[1]!.body = `${markerPrefix("staging")}{not json -->\nbroken`;
      const unreadable = await apply();
      expect(reasons(unreadable)).toContain("the plan comment on #1 has no readable header");
      expect(repo.state("us-east-1")).toBeUndefined();
    });

    it("refuses a fork's pull request: it was never planned", async () => {
      server.addPull(1, HEAD);
      server.issues.get(1)!.pull!.fork = true;
      merge(1, MERGE);
      const result = await apply();
      expect(reasons(result)).toContain("#1 came from a fork: it was never planned");
      expect(result.failure).toMatch(/\(review\) refused/);
      expect(repo.state("us-east-1")).toBeUndefined();
    });

    it("a plan of an older head leaves the newer head's comment alone", async () => {
      server.addPull(1, sha("9"));
      const ctx = context({ sha: HEAD, pullRequest: { number: 1, headSha: HEAD } });
      await planCommand({ ...ctx, selected: ctx.selected.filter((d) => d.name === "global") });
      expect(server.issues.get(1)!.comments).toEqual([]);
      expect(logs.join("\n")).toContain(`#1 is now at ${sha("9")}, not ${HEAD}`);
    });

    it("data-loss label: the author's refused; a writer's added after the last push accepted", async () => {
      await appliedBaseline();
      repo.setResource("us-east-1", "table", "payments-v2");
      await review(1, HEAD, ["us-east-1"]);
      merge(1, MERGE);
      const later = () => new Date(Date.now() + 1000).toISOString();
      server.label(1, "tandem:allow-data-loss", "author", later());
      server.permissions.set("author", "write");
      const byAuthor = await apply(MERGE, { statefulTypes: TEST_STATEFUL });
      expect(reasons(byAuthor)).toContain(
        "data at risk (replace terraform_data.table): tandem:allow-data-loss was added by the pull request's author author",
      );
      expect(repo.applied("us-east-1").table).toBe("payments-v1");

      server.issues.get(1)!.timeline.length = 0;
      server.label(1, "tandem:allow-data-loss", "reader", later());
      expect(reasons(await apply(MERGE, { statefulTypes: TEST_STATEFUL }))).toContain(
        "reader, who has no write access",
      );

      server.label(1, "tandem:allow-data-loss", "reviewer", later());
      server.permissions.set("reviewer", "write");
      const accepted = await apply(MERGE, { statefulTypes: TEST_STATEFUL });
      expect(statuses(accepted)).toEqual([["us-east-1", "applied"]]);
      expect(repo.applied("us-east-1").table).toBe("payments-v2");
    });

    it("three quick merges are all applied in order, the middle one included, each against its own review", async () => {
      await appliedBaseline();
      const [H1, H2, H3, M1, M2, M3] = ["a", "b", "c", "d", "e", "f"].map(sha);
      repo.setResource("us-east-1", "vpc", "10.10.0.0/16");
      await review(1, H1!, ["us-east-1"]);
      merge(1, M1!);
      repo.checkout(M0); // #2 was branched from M0, not rebased
      repo.setResource("us-west-2", "vpc", "10.11.0.0/16");
      await review(2, H2!, ["us-west-2"]);
      repo.checkout(M1!);
      repo.setResource("us-west-2", "vpc", "10.11.0.0/16");
      merge(2, M2!);
      repo.setResource("global", "zone", "pay2.staging.acme-payments.com");
      await review(3, H3!, ["global"]);
      merge(3, M3!);

      // Only the newest push's run survives GitHub's concurrency group: it applies all three.
      const result = await apply(M3!);
      expect(statuses(result)).toEqual([
        ["us-east-1", "applied"],
        ["us-west-2", "applied"],
        ["global", "applied"],
      ]);
      expect(
        (result.summary as { merges: { pullRequest: number }[] }).merges.map((m) => m.pullRequest),
      ).toEqual([1, 2, 3]);
      expect(ledger()).toEqual([M0, M1, M2, M3].map((s) => [s, "success"]));
      expect(repo.applied("us-west-2").vpc).toBe("10.11.0.0/16");
      expect(repo.applied("global").zone).toBe("pay2.staging.acme-payments.com");
      for (const n of [1, 2, 3])
        expect(server.issues.get(n)!.comments[0]!.body).toMatch(
          /### Apply of `staging`[\s\S]*✅ applied/,
        );
    });

    it("a merge-queue batch of two pull requests lands in one push and both are applied", async () => {
      await appliedBaseline();
      const [H1, H2, Q1, Q2] = ["a", "b", "c", "d"].map(sha);
      repo.setResource("us-east-1", "vpc", "10.20.0.0/16");
      await review(1, H1!, ["us-east-1"]);
      repo.checkout(M0);
      repo.setResource("us-west-2", "vpc", "10.21.0.0/16");
      await review(2, H2!, ["us-west-2"]);
      // The queue builds #1 on main, then #2 on #1: one commit per pull request, one push.
      repo.checkout(M0);
      repo.setResource("us-east-1", "vpc", "10.20.0.0/16");
      merge(1, Q1!);
      repo.setResource("us-west-2", "vpc", "10.21.0.0/16");
      merge(2, Q2!);
      const result = await apply(Q2!);
      expect(statuses(result)).toEqual([
        ["us-east-1", "applied"],
        ["us-west-2", "applied"],
      ]);
      expect(ledger().slice(1)).toEqual([
        [Q1, "success"],
        [Q2, "success"],
      ]);
    });

    it("a rebase-merged pull request lands as two commits and is applied once, at its last", async () => {
      await appliedBaseline();
      const [H, R1, R2] = ["a", "b", "c"].map(sha);
      repo.setResource("us-east-1", "vpc", "10.40.0.0/16");
      repo.setResource("us-west-2", "vpc", "10.41.0.0/16");
      await review(1, H!, ["us-east-1", "us-west-2"]);
      repo.checkout(M0);
      repo.setResource("us-east-1", "vpc", "10.40.0.0/16");
      repo.commit(R1!); // the first commit alone was never reviewed
      repo.setResource("us-west-2", "vpc", "10.41.0.0/16");
      merge(1, R2!);
      server.issues.get(1)!.pull!.commits = [R1!];
      const result = await apply(R2!);
      expect(statuses(result)).toEqual([
        ["us-east-1", "applied"],
        ["us-west-2", "applied"],
      ]);
      expect(ledger().slice(1)).toEqual([[R2, "success"]]);
    });

    /** #1 changes both regions; the secondary's apply fails half-way through the run. */
    async function halfFinished() {
      await appliedBaseline();
      repo.setResource("us-east-1", "vpc", "10.30.0.0/16");
      repo.setResource("us-west-2", "vpc", "10.31.0.0/16");
      await review(1, HEAD, ["us-east-1", "us-west-2"]);
      merge(1, MERGE);
      const first = await apply(MERGE, { terraform: new FailingOnce(options(), "us-west-2") });
      expect(statuses(first)).toEqual([
        ["us-east-1", "applied"],
        ["us-west-2", "failed"],
      ]);
      const issues = [...server.issues.values()].filter((i) =>
        i.body.startsWith(recoveryMarker("staging")),
      );
      expect(issues).toHaveLength(1);
      return issues[0]!;
    }

    it("a half-finished apply opens one issue, and a re-run resumes where it stopped and closes it", async () => {
      const issue = await halfFinished();
      expect(issue.title).toBe(`Apply of staging stopped at ${MERGE.slice(0, 12)}`);
      expect(issue.body).toContain("| `us-west-2` | ❌ failed | the runner lost its credentials |");
      expect(issue.body).toMatch(
        /- `us-east-1`: no changes\n- `us-west-2`:\n {2}- `delete\+create` `terraform_data.vpc`/,
      );
      expect(issue.body).toMatch(
        new RegExp(
          `gh workflow run apply.yml --ref main -f environment=staging -f commit=${MERGE} -f change-set-sha256=[0-9a-f]{64}`,
        ),
      );
      if (process.env.TANDEM_PRINT_ISSUE === "1") console.log(issue.body);
      expect(ledger().at(-1)).toEqual([MERGE, "failure"]);

      const rerun = await apply();
      expect(statuses(rerun)).toEqual([
        ["us-east-1", "applied"],
        ["us-west-2", "applied"],
      ]);
      expect(reasons(rerun)).toContain("already applied: the fresh plan is empty");
      expect(repo.applied("us-west-2").vpc).toBe("10.31.0.0/16");
      expect(issue.state).toBe("closed");
      expect(issue.comments.map((c) => c.body)).toEqual([
        `Applied \`staging\` up to \`${MERGE.slice(0, 12)}\`: closing.`,
      ]);
      expect(ledger().at(-1)).toEqual([MERGE, "success"]);
    });

    it("a dispatch applies the fresh plan only with the sha256 the issue shows; a wrong one is refused", async () => {
      const issue = await halfFinished();
      const approved = /change-set-sha256=([0-9a-f]{64})/.exec(issue.body)![1]!;
      const wrong = await apply(MERGE, { approved: "f".repeat(64) });
      expect(reasons(wrong)).toContain(
        `has change-set sha256 ${approved}, not the approved ${"f".repeat(64)}: nothing was applied`,
      );
      expect(repo.applied("us-west-2").vpc).toBe("10.1.0.0/16");

      const confirmed = await apply(MERGE, { approved });
      expect(statuses(confirmed)).toEqual([
        ["us-east-1", "no-changes"],
        ["us-west-2", "applied"],
        ["global", "no-changes"],
      ]);
      expect(repo.applied("us-west-2").vpc).toBe("10.31.0.0/16");
      expect(issue.state).toBe("closed");
      expect(ledger().at(-1)).toEqual([MERGE, "success"]);
    });

    it("unlock removes a lock only when the run that holds it has ended", async () => {
      const state = new StateServer();
      await state.start();
      try {
        repo.remove();
        repo = new FixtureRepo("staging", structuredClone(STAGING_ROOTS), state.backend());
        // An apply killed mid-call leaves its lock in the backend.
        const stale = {
          ID: "0f9e-stale",
          Operation: "OperationTypeApply",
          Who: "runner@gone",
          Version: "1.11.4",
          Created: "2026-12-02T03:04:05Z",
          Info: "",
          Path: "",
        };
        state.locks.set("us-west-2", JSON.stringify(stale));
        const holder = server.addRun({
          workflow: "apply.yml",
          event: "push",
          head_sha: MERGE,
          created_at: new Date().toISOString(),
          status: "in_progress",
        });
        server.addRun({
          workflow: "apply.yml",
          event: "workflow_dispatch",
          head_sha: MERGE,
          created_at: new Date().toISOString(),
          status: "in_progress",
        });
        const self = String(server.runs.at(-1)!.id);

        const running = await unlockCommand(context({ runId: self }));
        expect(statuses(running)).toEqual([
          ["us-east-1", "unlocked-none"],
          ["us-west-2", "refused"],
          ["global", "unlocked-none"],
        ]);
        expect(reasons(running)).toMatch(
          new RegExp(
            `lock 0f9e-stale \\(.*\\) is left alone: apply run\\(s\\) ${holder.id} are still running`,
          ),
        );
        expect(state.locks.has("us-west-2")).toBe(true);

        holder.status = "completed";
        const ended = await unlockCommand(context({ runId: self }));
        expect(statuses(ended)).toEqual([
          ["us-east-1", "unlocked-none"],
          ["us-west-2", "unlocked"],
          ["global", "unlocked-none"],
        ]);
        expect(state.locks.has("us-west-2")).toBe(false);
        // The root plans and applies again: nothing was left locked.
        const tf = terraform();
        const dir = join(repo.dir, "us-west-2");
        await tf.plan(dir, join(work, "after-unlock.tfplan"));
        await tf.apply(dir, join(work, "after-unlock.tfplan"));
        expect(state.states.has("us-west-2")).toBe(true);
        expect(state.locks.size).toBe(0);
      } finally {
        await state.stop();
      }
    });

    it("drift keeps one issue per environment while it drifts and closes it when clean", async () => {
      await appliedBaseline();
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
