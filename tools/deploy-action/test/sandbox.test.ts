/**
 * The action on staging's real roots, on the sandbox (moto on loopback, AWS provider 5.100):
 * `node dist/index.js` plans the regional roots and posts the comment to the loopback GitHub,
 * edits it on a second run, applies on the merge (a fresh plan equal to the review), and refuses
 * an altered review. With TANDEM_RECORD=1 it also writes the real plans into
 * fixtures/plans/staging-* for the renderer's tests.
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  prepareSandbox,
  sandboxUnavailable,
  stopMoto,
  type PreparedSandbox,
} from "@tandem/sandbox";
import { artifactName, CHANGE_SET_FILE } from "../src/artifacts.ts";
import { parseMarker } from "../src/comment.ts";
import { findTool, REPO_ROOT } from "./fixtures.ts";
import { FakeGitHub } from "./github-server.ts";

const ACTION = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/plans/", import.meta.url));
const NAME = "deploy-action";
const HEAD = "5a".repeat(20);
const HEAD2 = "6b".repeat(20);
const MERGE = "7c".repeat(20);
const HEAD3 = "8d".repeat(20);
const MERGE2 = "9e".repeat(20);
const only = (...names: string[]) =>
  JSON.stringify({ deployments: names.map((name) => ({ environment: "staging", name })) });
const REGIONAL = only("us-east-1", "us-west-2");

function skipReason(): string | undefined {
  const terraform = findTool("terraform");
  return "missing" in terraform ? terraform.missing : sandboxUnavailable(REPO_ROOT);
}

const reason = skipReason();
// Applying staging's roots on moto takes minutes; CI may leave it out (the fixture roots' end
// to end test applies on every run).
const applySkip =
  process.env.TANDEM_ACTION_SANDBOX_APPLY === "0" ? "TANDEM_ACTION_SANDBOX_APPLY=0" : undefined;
if (!reason && applySkip) console.warn(`skipping the sandbox apply: ${applySkip}`);
if (reason) console.warn(`skipping the action on the sandbox: ${reason}`);

describe.skipIf(reason !== undefined)(
  `the action on staging's real roots in the sandbox${reason ? ` (skipped: ${reason})` : ""}`,
  () => {
    let prepared: PreparedSandbox;
    const server = new FakeGitHub();
    const temp = mkdtempSync(join(tmpdir(), "tandem-action-sandbox-"));
    afterAll(async () => {
      await server.stop();
      await stopMoto(REPO_ROOT, NAME);
      rmSync(temp, { recursive: true, force: true });
    });

    let runs = 0;
    async function action(command: string, deployments: string, sha: string, event: object) {
      const n = ++runs;
      writeFileSync(join(temp, `event-${n}.json`), JSON.stringify(event));
      const env = {
        ...prepared.env,
        INPUT_COMMAND: command,
        INPUT_ENVIRONMENT: "staging",
        INPUT_DEPLOYMENTS: deployments,
        INPUT_TOOL: "terraform",
        "INPUT_GITHUB-TOKEN": "ghs_sandbox",
        "INPUT_WORKING-DIRECTORY": prepared.tree,
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

    it(
      "plans the regional roots and posts one comment for staging",
      { timeout: 900_000 },
      async () => {
        prepared = await prepareSandbox({
          repoRoot: REPO_ROOT,
          environment: "staging",
          tool: "terraform",
          name: NAME,
        });
        // The tree holds the roots; the RTO budget is read from the manifest beside them.
        mkdirSync(join(prepared.tree, "environments"), { recursive: true });
        copyFileSync(
          join(REPO_ROOT, "environments", "staging.yaml"),
          join(prepared.tree, "environments", "staging.yaml"),
        );
        await server.start();
        server.addPull(11, HEAD);
        const run = await action("plan", REGIONAL, HEAD, pullEvent(11, HEAD));
        expect(run.code, run.stdout).toBe(0);
        expect(comments(11)).toHaveLength(1);
        const body = comments(11)[0]!.body;
        expect(Object.keys(parseMarker(body, "staging")!.changeSets)).toEqual([
          "us-east-1",
          "us-west-2",
        ]);
        expect(body.length).toBeLessThanOrEqual(65_536);
        expect(body).toMatch(/\| `us-east-1` \| `us-east-1` \| [1-9]\d* \| 0 \| 0 \| 0 \| none \|/);
        expect(body).toContain("`module.database.aws_rds_cluster.this` create");
        expect(body).toMatch(/\*\*RTO budget\*\* for `staging`: health-check detection/);
        if (process.env.TANDEM_RECORD === "1") record();
      },
    );

    it("edits the same comment on a second run", { timeout: 900_000 }, async () => {
      server.issues.get(11)!.pull!.headSha = HEAD2;
      const run = await action("plan", REGIONAL, HEAD2, pullEvent(11, HEAD2));
      expect(run.code, run.stdout).toBe(0);
      expect(comments(11)).toHaveLength(1);
      expect(parseMarker(comments(11)[0]!.body, "staging")!.head).toBe(HEAD2);
    });

    it.skipIf(applySkip !== undefined)(
      `applies the reviewed plans in order on the merge${applySkip ? ` (skipped: ${applySkip})` : ""}`,
      { timeout: 1_200_000 },
      async () => {
        server.issues.get(11)!.pull!.mergeCommitSha = MERGE;
        const run = await action("apply", REGIONAL, MERGE, { after: MERGE });
        expect(run.code, run.stdout).toBe(0);
        const at = ["us-east-1", "us-west-2"].map((r) =>
          run.stdout.indexOf(`staging/${r}: applied`),
        );
        expect(at[0]).toBeGreaterThanOrEqual(0);
        expect(at[1]).toBeGreaterThan(at[0]!);
        expect(comments(11)[0]!.body).toMatch(
          /`us-east-1` \| ✅ applied[\s\S]*`us-west-2` \| ✅ applied/,
        );
      },
    );

    it(
      "refuses an altered review on the merge and applies nothing",
      { timeout: 900_000 },
      async () => {
        server.addPull(12, HEAD3);
        const planned = await action("plan", only("us-east-1"), HEAD3, pullEvent(12, HEAD3));
        expect(planned.code, planned.stdout).toBe(0);
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

    function record(): void {
      // Plans name files by absolute path (the handler's zip): fixtures name no machine's folders.
      const anonymous = (text: string) => text.replaceAll(REPO_ROOT, "<repository>");
      // The action's artifacts hold no plan file: the recorder plans each root itself.
      for (const root of ["us-east-1", "us-west-2"]) {
        const terraform = (...args: string[]) =>
          execFileSync("terraform", args, {
            cwd: prepared.roots.find((r) => r.name === root)!.dir,
            env: { ...process.env, ...prepared.env },
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
          });
        const planFile = join(temp, `record-${root}.tfplan`);
        terraform("plan", "-lock=false", "-input=false", "-no-color", `-out=${planFile}`);
        writeFileSync(
          join(FIXTURES, `staging-${root}.json`),
          anonymous(terraform("show", "-json", planFile)),
        );
        writeFileSync(
          join(FIXTURES, `staging-${root}.txt`),
          anonymous(terraform("show", "-no-color", planFile)),
        );
      }
    }
  },
);
