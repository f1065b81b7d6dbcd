import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO } from "../helpers.ts";
import { workflow, type Step } from "./workflow-files.ts";

const ACTION = join(REPO, "tools", "deploy-action");
const ACTION_YML = join(ACTION, "action.yml");
const BUNDLE = join(ACTION, "dist", "index.js");

/** The deploy-action step of each job that runs it, with the `with:` the workflow passes. */
const CALLS = [
  { file: "plan.yml", job: "plan", command: "plan" },
  { file: "apply.yml", job: "apply", command: "apply" },
  { file: "drift.yml", job: "drift", command: "drift" },
] as const;

function deployWith(file: string, job: string): Record<string, string> {
  const step = workflow(file).jobs[job]!.steps.find(
    (s: Step) => s.uses === "./tools/deploy-action",
  )!;
  return Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, String(v)]));
}

/**
 * What each expression the workflows pass evaluates to in these tests. An expression missing
 * here fails the test: a new input value must be given a meaning before it is trusted.
 */
function substitute(value: string, values: Record<string, string>): string {
  return value.replaceAll(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
    if (!(expression in values)) throw new Error(`no test value for \${{ ${expression} }}`);
    return values[expression]!;
  });
}

/** INPUT_<NAME> as the runner sets them: upper case, spaces to underscores, hyphens kept. */
const inputEnv = (inputs: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replaceAll(" ", "_").toUpperCase()}`, v]),
  );

const declared = existsSync(ACTION_YML)
  ? (
      parse(readFileSync(ACTION_YML, "utf8")) as {
        inputs: Record<string, { required?: boolean; default?: string }>;
      }
    ).inputs
  : undefined;

describe.skipIf(!declared)(
  `the deploy action's inputs${declared ? "" : " (skipped: tools/deploy-action/action.yml does not exist yet)"}`,
  () => {
    it.each(CALLS)(
      "$file passes only declared inputs, every required one, command $command",
      ({ file, job, command }) => {
        const given = deployWith(file, job);
        expect(Object.keys(given).filter((k) => !(k in declared!))).toEqual([]);
        const required = Object.entries(declared!)
          .filter(([, d]) => d.required)
          .map(([k]) => k);
        for (const name of required) expect(Object.keys(given)).toContain(name);
        expect(given.command).toBe(command);
        expect(given.environment).toBe("${{ matrix.environment }}");
      },
    );
  },
);

interface FixtureRepoLike {
  root: string;
  remove(): void;
  applied(root: string): Record<string, string>;
}
interface FakeGitHubLike {
  url: string;
  owner: string;
  repo: string;
  issues: Map<number, { comments: { body: string }[]; pull?: { mergeCommitSha?: string } }>;
  start(): Promise<string>;
  stop(): Promise<void>;
  addPull(number: number, headSha: string, labels?: string[]): unknown;
}

const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" }).status === 0;
const fixtures = join(ACTION, "test", "fixtures.ts");
const server = join(ACTION, "test", "github-server.ts");
const missing = [
  existsSync(BUNDLE) ? "" : "tools/deploy-action/dist/index.js is not built",
  terraform ? "" : "terraform is not on PATH",
  existsSync(fixtures) && existsSync(server) ? "" : "the deploy action's test fixtures are missing",
].filter(Boolean);

/** Runs the bundle as the runner does: a node process, inputs and context in the environment. */
function runAction(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

const HEAD = "a".repeat(40);
const MERGE = "b".repeat(40);

describe.skipIf(missing.length > 0)(
  `plan.yml then apply.yml, the deploy action run with exactly the inputs they pass${missing.length ? ` (skipped: ${missing.join("; ")})` : ""}`,
  () => {
    let repo: FixtureRepoLike;
    let github: FakeGitHubLike;
    let work: string;

    beforeAll(async () => {
      const { FixtureRepo } = (await import(pathToFileURL(fixtures).href)) as {
        FixtureRepo: new (environment: string) => FixtureRepoLike;
      };
      const { FakeGitHub } = (await import(pathToFileURL(server).href)) as {
        FakeGitHub: new () => FakeGitHubLike;
      };
      repo = new FixtureRepo("staging");
      github = new FakeGitHub();
      await github.start();
      work = mkdtempSync(join(tmpdir(), "tandem-workflow-run-"));
    });
    afterAll(async () => {
      await github.stop();
      repo.remove();
      rmSync(work, { recursive: true, force: true });
    });

    /** The environment the runner gives a step of `file`: its inputs plus the job's context. */
    function stepEnv(
      file: string,
      job: string,
      context: Record<string, string>,
      extra: Record<string, string>,
    ) {
      const values: Record<string, string> = {
        "matrix.environment": "staging",
        "env.TANDEM_TOOL": "terraform", // vars.TANDEM_TOOL unset: the workflow's default
        "github.token": "test-token",
        // A push: no dispatch inputs, so the commit is the pushed one.
        "inputs.commit || github.sha": context.GITHUB_SHA ?? "",
        "inputs.change-set-sha256": "",
        "steps.roots.outputs.deployments": JSON.stringify({
          deployments: ["us-east-1", "us-west-2", "global"].map((name) => ({
            environment: "staging",
            name,
          })),
        }),
      };
      const inputs = Object.fromEntries(
        Object.entries(deployWith(file, job)).map(([k, v]) => [k, substitute(v, values)]),
      );
      // working-directory: "." is the checkout; here the checkout is the fixture repository.
      expect(inputs["working-directory"]).toBe(".");
      inputs["working-directory"] = repo.root;
      // The runner creates both files before the step starts.
      const output = join(work, `${job}-output`);
      const summary = join(work, `${job}-summary.md`);
      writeFileSync(output, "");
      writeFileSync(summary, "");
      return {
        output,
        summary,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? tmpdir(),
          RUNNER_TEMP: work,
          GITHUB_ACTIONS: "true",
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: `${github.owner}/${github.repo}`,
          GITHUB_OUTPUT: output,
          GITHUB_STEP_SUMMARY: summary,
          TANDEM_ARTIFACT_DIR: join(work, "artifacts"),
          ...context,
          ...inputEnv(inputs),
          ...extra,
        },
      };
    }

    it("plan: one sticky comment for staging, the same comment on a second run", async () => {
      github.addPull(7, HEAD);
      const event = join(work, "pull_request.json");
      writeFileSync(event, JSON.stringify({ pull_request: { number: 7, head: { sha: HEAD } } }));
      for (const attempt of [1, 2]) {
        const { env, output, summary } = stepEnv(
          "plan.yml",
          "plan",
          { GITHUB_EVENT_NAME: "pull_request", GITHUB_EVENT_PATH: event, GITHUB_SHA: HEAD },
          {},
        );
        const result = await runAction(env);
        expect([attempt, result.code, result.output]).toEqual([attempt, 0, expect.any(String)]);
        expect(readFileSync(output, "utf8")).toMatch(/^changed<</m);
        expect(readFileSync(summary, "utf8")).toContain("staging");
        const comments = github.issues.get(7)!.comments;
        expect(comments).toHaveLength(1);
        expect(comments[0]!.body).toContain("staging");
      }
    });

    it("apply: the reviewed plans, in order, on the merge commit", async () => {
      github.issues.get(7)!.pull!.mergeCommitSha = MERGE;
      const event = join(work, "push.json");
      writeFileSync(event, JSON.stringify({ after: MERGE }));
      const { env, summary } = stepEnv(
        "apply.yml",
        "apply",
        { GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: event, GITHUB_SHA: MERGE },
        {},
      );
      const result = await runAction(env);
      expect([result.code, result.output]).toEqual([0, expect.any(String)]);
      for (const root of ["us-east-1", "us-west-2", "global"])
        expect(Object.keys(repo.applied(root)).length).toBeGreaterThan(0);
      expect(github.issues.get(7)!.comments).toHaveLength(1);
      expect(github.issues.get(7)!.comments[0]!.body).toMatch(/global.*applied/);
      expect(readFileSync(summary, "utf8")).toMatch(/applied/);
    });
  },
);
