/**
 * The action on staging's real roots, on the shared sandbox (staging applied once on moto on
 * loopback, AWS provider 5.100): a pull request adds an alarm email to staging's manifest, and
 * `node dist/index.js` plans the regional roots and posts the comment to the loopback GitHub,
 * edits it on a second run, applies on the merge (a fresh plan equal to the review), and refuses
 * the altered review of the next pull request, which takes the email out again. Each run has the
 * role its workflow job would have, through the sandbox's IAM gateway: the plans run as
 * tandem-staging-plan, the applies as tandem-staging-apply. The roots plan
 * and apply on the test's own copy of the shared state (a workspace of each state bucket), so
 * tests beside it see staging as applied, and each plan holds only the pull request's change;
 * the test removes the subscriptions it created and drops the copy. With TANDEM_RECORD=1 it also
 * writes staging's real plans (every resource created) into fixtures/plans/staging-* for the
 * renderer's tests.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dropSandboxCopy,
  envVariables,
  manifestWithAlarmEmail,
  sandboxCopy,
  sandboxEnv,
  sandboxUnavailable,
  sharedSandbox,
  sharedSandboxName,
  toolInRoot,
  writeRoots,
  type PreparedSandbox,
  type SandboxCopy,
  type SharedSandbox,
} from "@tandem/sandbox";
import { synthesizeTree } from "@tandem/generator";
import { artifactName, CHANGE_SET_FILE } from "../src/artifacts.ts";
import { parseMarker } from "../src/comment.ts";
import { findTool, REPO_ROOT } from "./fixtures.ts";
import { FakeGitHub } from "./github-server.ts";

const ACTION = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/plans/", import.meta.url));
const HEAD = "5a".repeat(20);
const HEAD2 = "6b".repeat(20);
const MERGE = "7c".repeat(20);
const HEAD3 = "8d".repeat(20);
const MERGE2 = "9e".repeat(20);
const only = (...names: string[]) =>
  JSON.stringify({ deployments: names.map((name) => ({ environment: "staging", name })) });
const REGIONAL = ["us-east-1", "us-west-2"];
/** The pull request's change: one more alarm email, one subscription created in each region. */
const EMAIL = "payments-review@acme-payments.com";
const SUBSCRIPTION = `module.monitoring.aws_sns_topic_subscription.email["${EMAIL}"]`;

function skipReason(): string | undefined {
  const terraform = findTool("terraform");
  return "missing" in terraform ? terraform.missing : sandboxUnavailable(REPO_ROOT);
}

const reason = skipReason();
if (reason) console.warn(`skipping the action on the sandbox: ${reason}`);

describe.skipIf(reason !== undefined)(
  `the action on staging's real roots in the sandbox${reason ? ` (skipped: ${reason})` : ""}`,
  () => {
    let shared: SharedSandbox;
    let prepared: SandboxCopy | undefined;
    let planned = false;
    const server = new FakeGitHub();
    const temp = mkdtempSync(join(tmpdir(), "tandem-action-sandbox-"));
    afterAll(async () => {
      await server.stop();
      if (prepared) await restore(prepared);
      rmSync(temp, { recursive: true, force: true });
    }, 300_000);

    /** Removes what the merge created, then the copy of the state: the shared sandbox is as applied. */
    async function restore(copy: PreparedSandbox): Promise<void> {
      for (const root of REGIONAL) {
        toolInRoot(
          copy,
          root,
          "destroy",
          "-auto-approve",
          "-input=false",
          `-target=${SUBSCRIPTION}`,
        );
      }
      await dropSandboxCopy(copy);
    }

    /**
     * The session its workflow job would have: plan.yml's pull request the plan role's, apply.yml's
     * push to main in the GitHub environment the apply role's, through the sandbox's gateway.
     */
    async function roleOf(command: string): Promise<Record<string, string>> {
      const as = command === "plan" ? "plan" : "apply";
      const name = sharedSandboxName("terraform");
      const session = await sandboxEnv({ repoRoot: REPO_ROOT, environment: "staging", name, as });
      expect(session.role).toBe(`arn:aws:iam::${shared.report.account}:role/tandem-staging-${as}`);
      return envVariables(session);
    }

    let runs = 0;
    async function action(command: string, deployments: string, sha: string, event: object) {
      const n = ++runs;
      writeFileSync(join(temp, `event-${n}.json`), JSON.stringify(event));
      const env = {
        ...prepared!.env,
        ...(await roleOf(command)),
        INPUT_COMMAND: command,
        INPUT_ENVIRONMENT: "staging",
        INPUT_DEPLOYMENTS: deployments,
        INPUT_TOOL: "terraform",
        "INPUT_GITHUB-TOKEN": "ghs_sandbox",
        "INPUT_WORKING-DIRECTORY": prepared!.tree,
        GITHUB_ACTIONS: "true",
        GITHUB_REPOSITORY: `${server.owner}/${server.repo}`,
        GITHUB_API_URL: server.url,
        GITHUB_EVENT_PATH: join(temp, `event-${n}.json`),
        GITHUB_SHA: sha,
        GITHUB_RUN_ID: String(70 + n),
        GITHUB_STEP_SUMMARY: join(temp, `summary-${n}.md`),
        GITHUB_OUTPUT: join(temp, `output-${n}`),
        RUNNER_TEMP: temp,
        TANDEM_ARTIFACT_DIR: join(temp, "artifacts"),
        // moto's re-plan gaps (known-gaps.json) are updates that cannot be applied on it (the
        // provider reads back what moto leaves out): the plans hold only the pull request's change.
        TF_CLI_ARGS_plan: `-target='${SUBSCRIPTION}'`,
      };
      writeFileSync(env.GITHUB_STEP_SUMMARY, "");
      writeFileSync(env.GITHUB_OUTPUT, "");
      const options = { env, timeout: 840_000, maxBuffer: 256 * 1024 * 1024 };
      return new Promise<{ code: number; stdout: string; summary: string }>((resolve) =>
        execFile(process.execPath, [ACTION], options, (error, stdout) =>
          resolve({
            code: error ? Number(error.code ?? 1) : 0,
            stdout,
            summary: readFileSync(env.GITHUB_STEP_SUMMARY, "utf8"),
          }),
        ),
      );
    }
    const pullEvent = (number: number, head: string) => ({
      pull_request: { number, head: { sha: head } },
    });
    const comments = (pr: number) => server.issues.get(pr)!.comments;

    // The shared apply, or the wait for another process's, outside the tests' own budgets: on a
    // loaded machine it has taken most of the first test's 15 minutes.
    beforeAll(async () => {
      shared = await sharedSandbox(REPO_ROOT, "terraform");
    }, 45 * 60_000);

    it(
      "plans the regional roots and posts one comment for staging",
      { timeout: 900_000 },
      async () => {
        prepared = await sandboxCopy(REPO_ROOT, shared, {
          manifestFile: manifestWithAlarmEmail(REPO_ROOT, join(temp, "pull"), EMAIL),
          tree: join(temp, "tree"),
          workspace: `deploy-action-${process.pid}`,
          asRoles: true,
        });
        // The tree holds the roots; the RTO budget is read from the manifest beside them.
        mkdirSync(join(prepared.tree, "environments"), { recursive: true });
        copyFileSync(
          join(temp, "pull", "staging.yaml"),
          join(prepared.tree, "environments", "staging.yaml"),
        );
        await server.start();
        server.addPull(11, HEAD);
        const run = await action("plan", only(...REGIONAL), HEAD, pullEvent(11, HEAD));
        expect(run.code, run.stdout).toBe(0);
        expect(comments(11)).toHaveLength(1);
        const body = comments(11)[0]!.body;
        expect(Object.keys(parseMarker(body, "staging")!.changeSets)).toEqual(REGIONAL);
        expect(body.length).toBeLessThanOrEqual(65_536);
        for (const root of REGIONAL) {
          expect(body).toContain(`| \`${root}\` | \`${root}\` | 1 | 0 | 0 | 0 | none |`);
        }
        expect(body).toContain(`\`${SUBSCRIPTION}\` create`);
        expect(body).toMatch(/\*\*RTO budget\*\* for `staging`: region-health alarm detection/);
        planned = true;
        if (process.env.TANDEM_RECORD === "1") await record();
      },
    );

    it("edits the same comment on a second run", { timeout: 900_000 }, async () => {
      server.issues.get(11)!.pull!.headSha = HEAD2;
      const run = await action("plan", only(...REGIONAL), HEAD2, pullEvent(11, HEAD2));
      expect(run.code, run.stdout).toBe(0);
      expect(comments(11)).toHaveLength(1);
      expect(parseMarker(comments(11)[0]!.body, "staging")!.head).toBe(HEAD2);
    });

    it("applies the reviewed plans in order on the merge", { timeout: 900_000 }, async () => {
      // A merge of another plan would apply it to the shared emulator: only the one reviewed above.
      expect(planned, "the pull request's plan was not the one expected").toBe(true);
      server.issues.get(11)!.pull!.mergeCommitSha = MERGE;
      const run = await action("apply", only(...REGIONAL), MERGE, { after: MERGE });
      expect(run.code, run.stdout).toBe(0);
      const at = REGIONAL.map((r) => run.stdout.indexOf(`staging/${r}: applied`));
      expect(at[0]).toBeGreaterThanOrEqual(0);
      expect(at[1]).toBeGreaterThan(at[0]!);
      expect(comments(11)[0]!.body).toMatch(
        /`us-east-1` \| ✅ applied[\s\S]*`us-west-2` \| ✅ applied/,
      );
      // The copy's state holds what the merge applied; the shared state (the default workspace,
      // read through this tree, which this test initialized) does not.
      const sharedState = { ...prepared!, env: { ...prepared!.env, TF_WORKSPACE: "default" } };
      for (const root of REGIONAL) {
        expect(toolInRoot(prepared!, root, "state", "list")).toContain(SUBSCRIPTION);
        expect(toolInRoot(sharedState, root, "state", "list")).not.toContain(SUBSCRIPTION);
      }
    });

    it(
      "refuses an altered review on the merge and applies nothing",
      { timeout: 900_000 },
      async () => {
        // The next pull request takes the email out again: the subscription is to be deleted.
        const { files } = await synthesizeTree(REPO_ROOT, [join("environments", "staging.yaml")]);
        writeRoots(
          REPO_ROOT,
          prepared!.tree,
          files,
          "staging",
          prepared!.endpoint,
          prepared!.override,
        );
        server.addPull(12, HEAD3);
        const plan = await action("plan", only("us-east-1"), HEAD3, pullEvent(12, HEAD3));
        expect(plan.code, plan.stdout).toBe(0);
        expect(comments(12)[0]!.body).toContain("| `us-east-1` | `us-east-1` | 0 | 0 | 0 | 1 |");
        const bundle = join(temp, "artifacts", artifactName("staging", "us-east-1", HEAD3));
        const file = join(bundle, CHANGE_SET_FILE);
        const review = JSON.parse(readFileSync(file, "utf8")) as {
          changeSet: { resources: unknown[] };
        };
        review.changeSet.resources.push({
          address: "aws_iam_user.backdoor",
          actions: ["create"],
          attributes: {},
        });
        writeFileSync(file, JSON.stringify(review));
        server.issues.get(12)!.pull!.mergeCommitSha = MERGE2;
        // The tree is no git repository: start from an empty ledger so apply reads no history.
        server.deployments.length = 0;
        const run = await action("apply", only("us-east-1"), MERGE2, { after: MERGE2 });
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(
          /::error::us-east-1 refused at [0-9a-f]{12}: the change set of us-east-1 has sha256 [0-9a-f]{64}, not the/,
        );
        expect(comments(12)[0]!.body).toContain("| `us-east-1` | ⛔ refused |");
      },
    );

    /**
     * Staging's plans from no state (every resource created), as a first apply plans them: the
     * renderer's fixtures. Planned on a copy of staging's own roots with an empty state.
     */
    async function record(): Promise<void> {
      const empty = await sandboxCopy(REPO_ROOT, shared, {
        manifestFile: join(REPO_ROOT, "environments", "staging.yaml"),
        tree: join(temp, "record"),
        workspace: `record-${process.pid}`,
        state: "empty",
      });
      // Plans name files by absolute path (the handler's zip): fixtures name no machine's folders.
      const anonymous = (text: string) => text.replaceAll(REPO_ROOT, "<repository>");
      for (const root of REGIONAL) {
        const planFile = join(temp, `record-${root}.tfplan`);
        toolInRoot(
          empty,
          root,
          "plan",
          "-lock=false",
          "-input=false",
          "-no-color",
          `-out=${planFile}`,
        );
        writeFileSync(
          join(FIXTURES, `staging-${root}.json`),
          anonymous(toolInRoot(empty, root, "show", "-json", planFile)),
        );
        writeFileSync(
          join(FIXTURES, `staging-${root}.txt`),
          anonymous(toolInRoot(empty, root, "show", "-no-color", planFile)),
        );
      }
      await dropSandboxCopy(empty);
    }
  },
);
