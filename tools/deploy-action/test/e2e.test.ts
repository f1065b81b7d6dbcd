/**
 * End to end: `node dist/index.js` with its inputs as INPUT_* variables, the way Actions runs it,
 * against the loopback GitHub server and fixture roots on real terraform.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactName, CHANGE_SET_FILE } from "../src/artifacts.ts";
import { parseMarker } from "../src/comment.ts";
import { findTool, FixtureRepo } from "./fixtures.ts";
import { FakeGitHub } from "./github-server.ts";
import { commandsRead } from "./workflow-commands.ts";

const ACTION = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const TOKEN = "ghs_e2eSecretToken0123456789";
const HEAD1 = "a1".repeat(20);
const HEAD2 = "b2".repeat(20);
const HEAD3 = "d4".repeat(20);

const terraform = findTool("terraform");
const missing = "missing" in terraform ? terraform.missing : undefined;
if (missing) console.warn(`skipping the end-to-end tests: ${missing}`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  jobSummary: string;
}

describe.skipIf(missing !== undefined)(
  `node dist/index.js end to end${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let repo: FixtureRepo;
    let server: FakeGitHub;
    let temp: string;

    /** Commits the fixture as main's next commit (apply reads main's history from git). */
    function commit(): string {
      const git = (...args: string[]) =>
        execFileSync("git", args, { cwd: repo.root, encoding: "utf8" }).trim();
      git("add", "-A");
      git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "merge");
      return git("rev-parse", "HEAD");
    }

    beforeAll(async () => {
      repo = new FixtureRepo();
      execFileSync("git", ["init", "-q", "-b", "main"], { cwd: repo.root });
      writeFileSync(
        join(repo.root, ".gitignore"),
        ".terraform/\n*.tfstate*\n.terraform.lock.hcl\n",
      );
      server = new FakeGitHub();
      await server.start();
      temp = mkdtempSync(join(tmpdir(), "tandem-e2e-"));
    });
    afterAll(async () => {
      await server.stop();
      repo.remove();
      rmSync(temp, { recursive: true, force: true });
    });

    let runs = 0;
    async function action(command: string, sha: string, event: object): Promise<Run> {
      const n = ++runs;
      const file = (name: string) => join(temp, `${name}-${n}`);
      writeFileSync(file("event"), JSON.stringify(event));
      writeFileSync(file("output"), "");
      writeFileSync(file("summary"), "");
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TF_CLI_CONFIG_FILE: process.env.TF_CLI_CONFIG_FILE,
        INPUT_COMMAND: command,
        INPUT_ENVIRONMENT: "staging",
        INPUT_DEPLOYMENTS: "",
        INPUT_TOOL: "terraform",
        "INPUT_GITHUB-TOKEN": TOKEN,
        "INPUT_WORKING-DIRECTORY": repo.root,
        GITHUB_ACTIONS: "true",
        GITHUB_REPOSITORY: `${server.owner}/${server.repo}`,
        GITHUB_API_URL: server.url,
        GITHUB_EVENT_PATH: file("event"),
        GITHUB_SHA: sha,
        GITHUB_RUN_ID: String(4000 + n),
        GITHUB_OUTPUT: file("output"),
        GITHUB_STEP_SUMMARY: file("summary"),
        RUNNER_TEMP: temp,
        TANDEM_ARTIFACT_DIR: join(temp, "artifacts"),
      };
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>(
        (resolve) => {
          execFile(process.execPath, [ACTION], { env, timeout: 120_000 }, (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
          );
        },
      );
      return {
        ...result,
        outputs: parseOutputs(readFileSync(file("output"), "utf8")),
        jobSummary: readFileSync(file("summary"), "utf8"),
      };
    }

    const pullEvent = (number: number, head: string) => ({
      pull_request: { number, head: { sha: head } },
    });
    const comments = (pr: number) => server.issues.get(pr)!.comments;

    it("plan posts one comment for staging, with outputs and the job summary", async () => {
      server.addPull(5, HEAD1);
      const run = await action("plan", "f".repeat(40), pullEvent(5, HEAD1));
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(comments(5)).toHaveLength(1);
      const header = parseMarker(comments(5)[0]!.body, "staging")!;
      expect(header.head).toBe(HEAD1);
      expect(Object.keys(header.changeSets)).toEqual(["us-east-1", "us-west-2", "global"]);
      expect(JSON.parse(run.outputs.changed!)).toEqual(["us-east-1", "us-west-2", "global"]);
      expect(JSON.parse(readFileSync(run.outputs.summary!, "utf8")).roots).toHaveLength(3);
      expect(run.jobSummary).toContain(comments(5)[0]!.body);
      // The token is masked first and never printed again; no other line is a workflow command.
      expect(commandsRead(run.stdout)).toEqual([`::add-mask::${TOKEN}`]);
      expect(run.stdout.split(TOKEN)).toHaveLength(2);
      expect(server.log.every((l) => l.authorization === `token ${TOKEN}`)).toBe(true);
    });

    it("a second run on a new head edits the same comment", async () => {
      repo.setResource("us-west-2", "vpc", "10.9.0.0/16");
      server.issues.get(5)!.pull!.headSha = HEAD2;
      const run = await action("plan", "f".repeat(40), pullEvent(5, HEAD2));
      expect(run.code).toBe(0);
      expect(comments(5)).toHaveLength(1);
      expect(parseMarker(comments(5)[0]!.body, "staging")!.head).toBe(HEAD2);
    });

    it("on the merge, applies the reviewed plans in dependsOn order and says so on the pull request", async () => {
      const MERGE = commit();
      server.issues.get(5)!.pull!.mergeCommitSha = MERGE;
      const run = await action("apply", MERGE, { after: MERGE });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(JSON.parse(run.outputs.changed!)).toEqual(["us-east-1", "us-west-2", "global"]);
      expect(repo.applied("us-west-2").vpc).toBe("10.9.0.0/16");
      expect(repo.applied("global").zone).toBe("pay.staging.acme-payments.com");
      const order = ["us-east-1", "us-west-2", "global"].map((r) =>
        run.stdout.indexOf(`staging/${r}: applied`),
      );
      expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
      expect(comments(5)).toHaveLength(1);
      expect(comments(5)[0]!.body).toMatch(
        new RegExp(
          `### Apply of \`staging\` at \`${MERGE.slice(0, 12)}\`[\\s\\S]*\`us-east-1\` \\| ✅ applied`,
        ),
      );
      expect(run.jobSummary).toContain("| `global` | ✅ applied |");
    });

    it("refuses an altered review and fails the step, leaving every root as it was", async () => {
      repo.setResource("us-east-1", "vpc", "10.5.0.0/16");
      server.addPull(6, HEAD3);
      expect((await action("plan", "f".repeat(40), pullEvent(6, HEAD3))).code).toBe(0);
      const changeSet = join(
        temp,
        "artifacts",
        artifactName("staging", "us-east-1", HEAD3),
        CHANGE_SET_FILE,
      );
      expect(existsSync(changeSet)).toBe(true);
      writeFileSync(
        changeSet,
        readFileSync(changeSet, "utf8").replace("10.5.0.0/16", "10.6.0.0/16"),
      );
      const MERGE2 = commit();
      server.issues.get(6)!.pull!.mergeCommitSha = MERGE2;

      const run = await action("apply", MERGE2, { after: MERGE2 });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /^::error::us-east-1 refused at [0-9a-f]{12}: the change set of us-east-1 has sha256 [0-9a-f]{64}, not the [0-9a-f]{64} the comment on #6 shows$/m,
      );
      expect(repo.applied("us-east-1").vpc).toBe("10.0.0.0/16");
      expect(comments(6)[0]!.body).toMatch(
        /`us-east-1` \| ⛔ refused[\s\S]*`us-west-2` \| ⏭️ skipped/,
      );
    });
  },
);

function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(.+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    outputs[m[1]!] = lines.slice(i + 1, end).join("\n");
    i = end;
  }
  return outputs;
}
