/** The action's entry: inputs as Actions passes them (INPUT_*), then plan, apply or drift. */
import * as core from "@actions/core";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { applyCommand } from "./apply.ts";
import { ActionsStore, DirectoryStore, type PlanStore } from "./artifacts.ts";
import type { CommandResult, Context } from "./context.ts";
import { loadDeployments, selectDeployments } from "./deployments.ts";
import { driftCommand } from "./drift.ts";
import { UserError } from "./errors.ts";
import { ACTIONS_BOT, createClient, GitHub } from "./github.ts";
import { gitHistory } from "./history.ts";
import { PLAN_WORKFLOW } from "./apply.ts";
import { createLog } from "./log.ts";
import { planCommand } from "./plan.ts";
import { unlockCommand } from "./unlock.ts";
import { manifestBudget } from "./rto.ts";
import { runPluginCache, Terraform, type Tool } from "./terraform.ts";

type Command = "plan" | "apply" | "drift" | "unlock";

export interface Inputs {
  command: Command;
  environment: string;
  deployments: string;
  tool: Tool;
  token: string;
  workingDirectory: string;
  /** The login the token writes as: the only author whose comments and issues are believed. */
  trustedAuthor: string;
  /** A dispatched apply: the environment's approved change-set sha256. */
  approved?: string;
  /** The commit to apply (a dispatch); the pushed commit by default. */
  commit: string;
  /** The cloud session's length: Terraform's limits and lock waits follow it. */
  sessionSeconds?: number;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`input ${name}: \`${value}\` is not one of ${allowed.join(", ")}`);
}

function required(name: string): string {
  const value = core.getInput(name);
  if (value === "") throw new UserError(`input ${name} is required`);
  return value;
}

function sessionInput(): { sessionSeconds?: number } {
  const value = core.getInput("session-seconds");
  if (value === "") return {};
  if (!/^[1-9]\d*$/.test(value))
    throw new UserError(`input session-seconds: \`${value}\` is not a number of seconds`);
  return { sessionSeconds: Number(value) };
}

export function readInputs(): Inputs {
  const token = core.getInput("github-token");
  if (token) core.setSecret(token);
  const environment = required("environment");
  if (!/^[a-z][a-z0-9-]*$/.test(environment))
    throw new UserError(`input environment: \`${environment}\` is not an environment name`);
  const approved = core.getInput("change-set-sha256");
  if (approved !== "" && !/^[0-9a-f]{64}$/.test(approved))
    throw new UserError(`input change-set-sha256: \`${approved}\` is not a sha256 (64 hex digits)`);
  return {
    command: oneOf("command", required("command"), ["plan", "apply", "drift", "unlock"]),
    environment,
    deployments: core.getInput("deployments"),
    tool: oneOf("tool", core.getInput("tool") || "terraform", ["terraform", "tofu"]),
    token,
    workingDirectory: core.getInput("working-directory") || ".",
    trustedAuthor: core.getInput("trusted-author") || ACTIONS_BOT,
    commit: core.getInput("commit"),
    ...sessionInput(),
    ...(approved ? { approved } : {}),
  };
}

interface Event {
  pull_request?: { number: number; head: { sha: string } };
  after?: string;
}

function readEvent(): Event {
  const path = process.env.GITHUB_EVENT_PATH;
  if (!path || !existsSync(path)) return {};
  return JSON.parse(readFileSync(path, "utf8")) as Event;
}

function repository(): { owner: string; repo: string } | undefined {
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? "").split("/");
  return owner && repo ? { owner, repo } : undefined;
}

/** Reviews are looked up by head in the plan workflow's pull_request runs of that head. */
function planStore(inputs: Inputs, github: GitHub | undefined): PlanStore {
  // A directory store for runs outside Actions (and the end-to-end tests).
  const dir = process.env.TANDEM_ARTIFACT_DIR;
  if (dir) return new DirectoryStore(resolve(dir));
  const repo = repository();
  if (!github || !repo) throw new UserError("artifacts need GITHUB_REPOSITORY and a github-token");
  return new ActionsStore({
    token: inputs.token,
    ...repo,
    attempt: process.env.GITHUB_RUN_ATTEMPT ?? "1",
    runs: (head) => github.planRuns(PLAN_WORKFLOW, head),
    artifacts: (runId) => github.runArtifacts(runId),
  });
}

async function buildContext(inputs: Inputs, workDir: string): Promise<Context> {
  // The session began in the step before: counting from here errs on the safe side by that much.
  const started = Date.now();
  const repoRoot = resolve(inputs.workingDirectory);
  const deployments = loadDeployments(repoRoot, inputs.environment);
  const selected = selectDeployments(
    deployments.deployments,
    inputs.environment,
    inputs.deployments,
  );
  const runId = process.env.GITHUB_RUN_ID ?? String(process.pid);
  const terraform = new Terraform({
    tool: inputs.tool,
    ...(inputs.sessionSeconds ? { sessionEnds: started + inputs.sessionSeconds * 1000 } : {}),
    pluginCacheDir:
      process.env.TF_PLUGIN_CACHE_DIR || runPluginCache(process.env.RUNNER_TEMP || tmpdir(), runId),
  });
  const repo = repository();
  const github =
    inputs.token && repo
      ? new GitHub(
          createClient({
            token: inputs.token,
            baseUrl: process.env.GITHUB_API_URL,
            log: (m) => core.info(m),
          }),
          repo.owner,
          repo.repo,
          inputs.trustedAuthor,
        )
      : undefined;
  const event = readEvent();
  const pullRequest = event.pull_request
    ? { number: event.pull_request.number, headSha: event.pull_request.head.sha }
    : undefined;
  const sha =
    pullRequest?.headSha ?? (inputs.commit || process.env.GITHUB_SHA || event.after || "");
  if (!/^[0-9a-f]{40}$/.test(sha))
    throw new UserError(
      "no commit: set GITHUB_SHA (Actions does) or the input commit (40 hex digits)",
    );
  return {
    repoRoot,
    environment: inputs.environment,
    deployments,
    selected,
    terraform,
    toolVersion: await terraform.version(),
    store: planStore(inputs, github),
    ...(github ? { github } : {}),
    ...(pullRequest ? { pullRequest } : {}),
    sha,
    workDir,
    history: gitHistory(repoRoot, inputs.environment, sha, workDir),
    ...(inputs.approved ? { approved: inputs.approved } : {}),
    ...(process.env.GITHUB_RUN_ID ? { runId: process.env.GITHUB_RUN_ID } : {}),
    budget: manifestBudget(repoRoot, inputs.environment),
    log: createLog(),
    ...(process.env.GITHUB_STEP_SUMMARY
      ? {
          jobSummary: async (markdown: string) =>
            void (await core.summary.addRaw(markdown, true).write()),
        }
      : {}),
  };
}

const COMMANDS: Record<Command, (ctx: Context) => Promise<CommandResult>> = {
  plan: planCommand,
  apply: applyCommand,
  drift: driftCommand,
  unlock: unlockCommand,
};

export async function run(): Promise<void> {
  const workDir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), "tandem-action-"));
  try {
    const inputs = readInputs();
    const ctx = await buildContext(inputs, workDir);
    const result = await COMMANDS[inputs.command](ctx);
    const summaryFile = join(
      process.env.RUNNER_TEMP || tmpdir(),
      `tandem-${inputs.command}-${inputs.environment}.json`,
    );
    writeFileSync(summaryFile, `${JSON.stringify(result.summary, null, 2)}\n`);
    core.setOutput("changed", JSON.stringify(result.changed));
    core.setOutput("summary", summaryFile);
    if (result.failure) core.setFailed(result.failure);
  } catch (error) {
    core.setFailed(
      error instanceof UserError
        ? error.message
        : `tandem deploy action: ${(error as Error).message}`,
    );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
