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
import { createClient, GitHub } from "./github.ts";
import { createLog } from "./log.ts";
import { planCommand } from "./plan.ts";
import { manifestBudget } from "./rto.ts";
import { runPluginCache, Terraform, type Tool } from "./terraform.ts";

type Command = "plan" | "apply" | "drift";

export interface Inputs {
  command: Command;
  environment: string;
  deployments: string;
  tool: Tool;
  token: string;
  workingDirectory: string;
  allowReplan: boolean;
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

export function readInputs(): Inputs {
  const token = core.getInput("github-token");
  if (token) core.setSecret(token);
  const environment = required("environment");
  if (!/^[a-z][a-z0-9-]*$/.test(environment))
    throw new UserError(`input environment: \`${environment}\` is not an environment name`);
  const replan = core.getInput("allow-replan") || "false";
  return {
    command: oneOf("command", required("command"), ["plan", "apply", "drift"]),
    environment,
    deployments: core.getInput("deployments"),
    tool: oneOf("tool", core.getInput("tool") || "terraform", ["terraform", "tofu"]),
    token,
    workingDirectory: core.getInput("working-directory") || ".",
    allowReplan: oneOf("allow-replan", replan, ["true", "false"]) === "true",
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

function planStore(
  inputs: Inputs,
  github: GitHub | undefined,
  headOf: () => Promise<string>,
): PlanStore {
  // A directory store for runs outside Actions (and the end-to-end tests).
  const dir = process.env.TANDEM_ARTIFACT_DIR;
  if (dir) return new DirectoryStore(resolve(dir));
  const repo = repository();
  if (!github || !repo) throw new UserError("artifacts need GITHUB_REPOSITORY and a github-token");
  return new ActionsStore({
    token: inputs.token,
    ...repo,
    runs: async () => github.runsForHead(await headOf()),
  });
}

async function buildContext(inputs: Inputs, workDir: string): Promise<Context> {
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
        )
      : undefined;
  const event = readEvent();
  const pullRequest = event.pull_request
    ? { number: event.pull_request.number, headSha: event.pull_request.head.sha }
    : undefined;
  const sha = pullRequest?.headSha ?? process.env.GITHUB_SHA ?? event.after ?? "";
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new UserError("no commit: set GITHUB_SHA (Actions does)");
  let reviewedHead: string | undefined;
  const headOf = async () => (reviewedHead ??= (await github?.pullForCommit(sha))?.headSha ?? sha);
  return {
    repoRoot,
    environment: inputs.environment,
    deployments,
    selected,
    terraform,
    toolVersion: await terraform.version(),
    store: planStore(inputs, github, inputs.command === "apply" ? headOf : async () => sha),
    ...(github ? { github } : {}),
    ...(pullRequest ? { pullRequest } : {}),
    sha,
    workDir,
    allowReplan: inputs.allowReplan,
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
