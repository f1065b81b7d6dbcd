/**
 * A rehearsal: the repository's own workflows, unchanged, run by act on the host for each event
 * of a scenario, against an applied sandbox of the environment and a GitHub double on loopback.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import {
  dropSandboxCopy,
  githubClaims,
  mintToken,
  prepareSandbox,
  sandboxCopy,
  SHARED_ENVIRONMENT,
  sharedSandbox,
  type Job,
  type PreparedSandbox,
  type SharedSandbox,
  type ToolName,
} from "@tandem/sandbox";
import { failedStep, findAct, runAct, type JobResult } from "./act.ts";
import { RehearsalError } from "./errors.ts";
import { GitHubDouble, type Call, type JobClaims } from "./github-double.ts";
import { planLatency, type PlanLatency } from "./latency.ts";
import { RehearsalRepository } from "./repository.ts";
import {
  readManifest,
  scenario as scenarioNamed,
  type Leg,
  type Manifest,
  type World,
} from "./scenario.ts";
import { standIns } from "./stand-ins.ts";
import { idTokenJobs } from "./workflow.ts";

export interface RehearseOptions {
  repoRoot: string;
  environment: string;
  tool?: ToolName;
  scenario?: string;
  /** Keep the throw-away repository, act's workspaces and logs (their folder is in the report). */
  keep?: boolean;
  progress?: (line: string) => void;
  /** Time limit of one workflow run. */
  runTimeoutMs?: number;
  /** Changes the rehearsed copy before its first commit (a test's deliberately broken workflow). */
  prepare?: (dir: string) => void;
  /**
   * An applied sandbox of the shared environment to rehearse on (a copy of its state), instead
   * of the shared one: one that no other process re-applies while the rehearsal runs.
   */
  applied?: SharedSandbox;
}

export interface RunReport {
  leg: string;
  workflow: string;
  event: string;
  conclusion: "success" | "failure";
  ok: boolean;
  seconds: number;
  jobs: {
    name: string;
    result: string;
    seconds: number;
    steps: { name: string; result: string; seconds: number }[];
  }[];
  /** Seconds from the event to the first comment the run wrote, when it wrote one. */
  commentAfterSeconds?: number;
  /** A pull request's run: where the wait for its comment went, phase by phase. */
  latency?: PlanLatency;
  /** What the run wrote to GitHub: method, path and, for comments and issues, the first line. */
  posted: { method: string; path: string; status: number; summary?: string }[];
  /** Why the run is not what the scenario expects; with the failing step's log when a job failed. */
  problems: string[];
}

export interface RehearsalReport {
  environment: string;
  tool: ToolName;
  scenario: string;
  ok: boolean;
  seconds: number;
  runs: RunReport[];
  /** The third-party actions the runs used, each replaced by its stand-in (no network to github.com). */
  standIns: string[];
  /** Where the repository, workspaces and logs were kept (with --keep). */
  kept?: string;
}

const RUN_TIMEOUT_MS = 30 * 60_000;
/** Stand-ins for tools GitHub's hosted runners have and this machine may not (gh). */
const RUNNER_TOOLS = join("tools", "rehearsal", "runner");
const LOG_LINES = 40;

export async function rehearse(options: RehearseOptions): Promise<RehearsalReport> {
  const started = performance.now();
  const { repoRoot, environment, tool = "terraform", progress = () => undefined } = options;
  const act = findAct(repoRoot);
  if (!act)
    throw new RehearsalError("act is not built: run `bash tools/setup/install-test-tools.sh go`");
  const scenario = scenarioNamed(options.scenario ?? "default");
  const { legs } = scenario;
  const workflows = [...new Set(legs.map((leg) => join(".github", "workflows", leg.workflow)))];
  const localRepositories = standIns(repoRoot, workflows);
  const manifest = readManifest(repoRoot, environment);
  const [owner, repo] = manifest.github.repository.split("/") as [string, string];

  const work = mkdtempSync(join(tmpdir(), "tandem-rehearsal-"));
  let github: GitHubDouble | undefined;
  let sandbox: RehearsalSandbox | undefined;
  /** What legs started for their runs (the drill's emulation), stopped when the rehearsal ends. */
  const cleanups: (() => Promise<void>)[] = [];
  try {
    progress(`sandbox: ${environment} with ${tool}`);
    sandbox = await sandboxFor(repoRoot, environment, tool, work, progress, {
      bootstrapOnly: scenario.bootstrapOnly === true,
      ...(options.applied ? { applied: options.applied } : {}),
    });
    const { prepared } = sandbox;
    // Jobs reach the emulator itself. The sandbox's IAM gateway (which checks each role's trust
    // on these tokens and authorizes every call) is not used yet: through it the plan role's
    // refresh of the secondary root was refused (kms:DescribeKey on alias/aws/dynamodb).
    const endpoint = prepared.server.endpoint;
    // Tokens come from the sandbox's issuer, with GitHub's claims in the manifest's subject format.
    github = new GitHubDouble(owner, repo, (claims, audience) =>
      mintToken(repoRoot, prepared.name, githubClaims(jobOf(claims, manifest), audience)),
    );
    await github.start();
    const repository = RehearsalRepository.create(
      repoRoot,
      join(work, "repository"),
      `https://github.com/${manifest.github.repository}.git`,
      (dir) => {
        scenario.prepare?.(dir, manifest);
        options.prepare?.(dir);
      },
    );
    // The shared sandbox was applied from these roots: GitHub's ledger says main runs there.
    if (sandbox.copy)
      github.recordDeployment(environment, repository.sha("main"), "tandem:apply", "success");
    const world: World = {
      repository,
      github,
      environment,
      manifest,
      sandbox: { repoRoot, endpoint },
      pulls: new Map(),
      work,
      cleanups,
    };
    const runs: RunReport[] = [];
    for (const leg of legs) {
      progress(`${leg.workflow} on ${leg.event}: ${leg.name}`);
      const run = await runLeg(leg, world, {
        act,
        work,
        repoRoot,
        tool,
        sandbox: prepared,
        endpoint,
        targets: scenario.targets,
        localRepositories,
        progress,
        timeoutMs: options.runTimeoutMs ?? RUN_TIMEOUT_MS,
      });
      runs.push(run);
      progress(
        `${leg.workflow}: ${run.conclusion} in ${run.seconds} s${run.ok ? "" : `, not as expected: ${run.problems[0]}`}`,
      );
      if (!run.ok) break; // later legs build on this one
    }
    return {
      environment,
      tool,
      scenario: options.scenario ?? "default",
      ok: runs.length === legs.length && runs.every((r) => r.ok),
      seconds: Math.round((performance.now() - started) / 1000),
      runs,
      standIns: Object.keys(localRepositories).sort(),
      ...(options.keep ? { kept: work } : {}),
    };
  } finally {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: Error) => progress(`clean-up: ${error.message}`));
    await github?.stop();
    if (sandbox?.copy) await removeCopy(sandbox.copy, scenario.targets, progress);
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}

interface RehearsalSandbox {
  /** What jobs use: the copy of the shared sandbox's state, or a sandbox of the rehearsal's own. */
  prepared: PreparedSandbox;
  /** The copy, when the sandbox is shared: removed when the rehearsal ends. */
  copy?: PreparedSandbox;
}

/**
 * The shared applied sandbox for the shared environment, on a copy of its state (its own
 * workspace of each root), so the rehearsal's applies leave the shared state as other tests
 * read it; any other environment, or a scenario that needs only the roles, gets a sandbox of its
 * own with the bootstrap applied.
 */
async function sandboxFor(
  repoRoot: string,
  environment: string,
  tool: ToolName,
  work: string,
  progress: (line: string) => void,
  { applied, bootstrapOnly }: { applied?: SharedSandbox; bootstrapOnly: boolean },
): Promise<RehearsalSandbox> {
  if (environment !== SHARED_ENVIRONMENT || bootstrapOnly)
    return {
      prepared: await prepareSandbox({
        repoRoot,
        environment,
        tool,
        name: `rehearsal-${tool}`,
        progress,
      }),
    };
  const shared = applied ?? (await sharedSandbox(repoRoot, tool, progress));
  progress(`sandbox: a copy of the shared state of ${environment}`);
  const copy = await sandboxCopy(repoRoot, shared, {
    manifestFile: join(repoRoot, "environments", `${environment}.yaml`),
    tree: join(work, "state-copy"),
    workspace: `rehearsal-${process.pid}`,
  });
  return { prepared: copy, copy };
}

/**
 * Destroys what the rehearsal's applies created (the scenario's targets, in each root of the
 * copy), then the copy's states: the shared sandbox is as it was applied.
 */
async function removeCopy(
  copy: PreparedSandbox,
  targets: string[],
  progress: (line: string) => void,
): Promise<void> {
  progress("sandbox: removing what the rehearsal applied, and its copy of the state");
  const targetArgs = targets.map((t) => `-target=${t}`);
  // No targets: the scenario applied nothing, and an untargeted destroy would take the shared objects.
  for (const { name, dir } of targets.length > 0 ? copy.roots : []) {
    try {
      await promisify(execFile)(
        copy.tool.bin,
        ["destroy", "-auto-approve", "-input=false", "-no-color", ...targetArgs],
        { cwd: dir, env: { ...process.env, ...copy.env }, maxBuffer: 64 << 20, timeout: 600_000 },
      );
    } catch (error) {
      // The copy is kept, so what its state holds can still be destroyed by hand.
      progress(
        `sandbox: could not destroy the rehearsal's objects in ${name} (${dir}, workspace ${copy.env.TF_WORKSPACE}): ${String(
          (error as { stderr?: string }).stderr ?? error,
        )
          .trim()
          .split("\n")
          .slice(-3)
          .join(" ")}`,
      );
      return;
    }
  }
  await dropSandboxCopy(copy);
}

interface LegContext {
  act: string;
  work: string;
  repoRoot: string;
  tool: ToolName;
  sandbox: PreparedSandbox;
  /** The AWS endpoint jobs use. */
  endpoint: string;
  /** The addresses every plan is narrowed to (the scenario's). */
  targets: string[];
  localRepositories: Record<string, string>;
  progress: (line: string) => void;
  timeoutMs: number;
}

async function runLeg(leg: Leg, world: World, context: LegContext): Promise<RunReport> {
  const start = await leg.start(world);
  const { github } = world;
  const { id, oidcToken, runtimeToken } = await github.startRun(
    leg.workflow,
    leg.event,
    start.headSha,
    {
      event_name: leg.event,
      ref: start.ref,
      sha: start.checkout,
      workflow: leg.workflow.replace(/\.ya?ml$/, ""),
      job_workflow_ref: `${github.repository}/.github/workflows/${leg.workflow}@${start.ref}`,
      ...(start.environment ? { environment: start.environment } : {}),
    },
    idTokenJobs(join(world.repository.dir, ".github", "workflows", leg.workflow)),
  );
  const dir = join(context.work, `run-${id}`);
  mkdirSync(dir, { recursive: true });
  const eventFile = join(dir, "event.json");
  writeFileSync(eventFile, JSON.stringify(start.payload, null, 2));
  const startedAt = Date.now();
  const result = await runAct({
    act: context.act,
    workdir: world.repository.dir,
    workflow: join(".github", "workflows", leg.workflow),
    event: leg.event,
    eventFile,
    env: {
      ...runnerEnv(context, github, { id, oidcToken, runtimeToken }),
      // What actions/checkout's stand-in fetches from, as the real one fetches from github.com.
      TANDEM_REHEARSAL_ORIGIN: world.repository.dir,
      ...start.env,
    },
    vars: { TANDEM_TOOL: context.tool },
    // act has no GitHub environments: the run's environment's secrets go to all its jobs.
    secrets: {
      ...(start.environment ? github.environmentSecrets.get(start.environment) : {}),
      GITHUB_TOKEN: `ghs_rehearsal_${id}`,
    },
    localRepositories: context.localRepositories,
    cacheDir: join(context.work, "act"),
    processEnv: hostEnv(context.repoRoot),
    timeoutMs: context.timeoutMs,
    logFile: join(dir, "act.jsonl"),
    progress: (line) => context.progress(`  ${line}`),
  });
  const conclusion =
    result.exitCode === 0 && result.jobs.every((j) => j.result === "success")
      ? "success"
      : "failure";
  github.finishRun(id, conclusion);
  const expected = leg.conclusion ?? "success";
  // A leg that expects a failure judges its failed jobs itself, in its check.
  const problems = [
    ...(expected === "success"
      ? [...result.messages.map((m) => `act: ${m}`).slice(0, 5), ...result.jobs.flatMap(failureLog)]
      : conclusion === "failure"
        ? []
        : ["expected the run to fail, and it succeeded"]),
    ...leg.check(world, result.jobs, id),
  ];
  return {
    leg: leg.name,
    workflow: leg.workflow,
    event: leg.event,
    conclusion,
    ok: conclusion === expected && problems.length === 0,
    seconds: result.seconds,
    jobs: result.jobs.map((j) => ({
      name: j.name,
      result: j.result,
      seconds: j.seconds,
      steps: j.steps
        .filter((s) => !s.id.includes("/") && s.stage === "Main")
        .map((s) => ({ name: s.name, result: s.result, seconds: s.seconds })),
    })),
    posted: github.writesOf(id).map(posted),
    ...commentLatency(github.writesOf(id), startedAt),
    ...(leg.event === "pull_request" ? latencyOf(result.jobs) : {}),
    problems,
  };
}

/** Seconds from the event to the run's first write of a pull request comment (the PR latency). */
function commentLatency(writes: Call[], startedAt: number): { commentAfterSeconds?: number } {
  const comment = writes.find((c) => /\/issues\/(\d+|comments)\/(comments|\d+)$/.test(c.path));
  return comment ? { commentAfterSeconds: Math.round((comment.at - startedAt) / 100) / 10 } : {};
}

function latencyOf(jobs: JobResult[]): { latency?: PlanLatency } {
  const latency = planLatency(jobs);
  return latency ? { latency } : {};
}

/** A failed job as the step that failed and the end of its log. */
function failureLog(job: JobResult): string[] {
  if (job.result === "success") return [];
  const step = failedStep(job);
  if (!step) return [`job "${job.name}" ended ${job.result}`];
  return [
    `job "${job.name}" failed at step "${step.name}":\n${step.log.slice(-LOG_LINES).join("\n")}`,
  ];
}

function posted(call: Call): RunReport["posted"][number] {
  const body = call.body?.body ?? call.body?.title;
  const summary =
    typeof body === "string"
      ? body
          .split("\n")
          .find((l) => l.trim() && !l.startsWith("<!--"))
          ?.slice(0, 120)
      : undefined;
  return {
    method: call.method,
    path: call.path,
    status: call.status,
    ...(summary ? { summary } : {}),
  };
}

/**
 * What the runner gives every job: the sandbox's endpoint (the AWS SDKs and Terraform read
 * AWS_ENDPOINT_URL) and providers, the double as GitHub's API, the run's id and its OIDC
 * endpoint. No AWS credentials: a job gets them only from the OIDC exchange.
 */
function runnerEnv(
  {
    sandbox,
    endpoint,
    targets,
    repoRoot,
  }: Pick<LegContext, "sandbox" | "endpoint" | "targets" | "repoRoot">,
  github: GitHubDouble,
  run: { id: number; oidcToken: string; runtimeToken: string },
): Record<string, string> {
  const providers = Object.fromEntries(
    Object.entries(sandbox.env).filter(
      ([key]) => key === "TF_CLI_CONFIG_FILE" || key === "TF_PLUGIN_CACHE_DIR",
    ),
  );
  return {
    ...providers,
    // The sandbox's own: its copy of the state, and plans narrowed to what the scenario changes.
    ...(sandbox.env.TF_WORKSPACE ? { TF_WORKSPACE: sandbox.env.TF_WORKSPACE } : {}),
    ...(targets.length > 0
      ? { TF_CLI_ARGS_plan: targets.map((t) => `-target='${t}'`).join(" ") }
      : {}),
    AWS_ENDPOINT_URL: endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
    GITHUB_API_URL: github.url,
    GITHUB_REPOSITORY: github.repository,
    GITHUB_REPOSITORY_OWNER: github.owner,
    GITHUB_RUN_ID: String(run.id),
    ACTIONS_ID_TOKEN_REQUEST_URL: `${github.url}/oidc/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: run.oidcToken,
    // The artifact service is the double's: act 0.2.89's own server cannot decode what the
    // pinned @actions/artifact 6 sends (CreateArtifact's mime_type).
    ACTIONS_RESULTS_URL: `${github.url}/`,
    ACTIONS_RUNTIME_URL: `${github.url}/`,
    ACTIONS_RUNTIME_TOKEN: run.runtimeToken,
    // A self-hosted runner's npm configuration: the packages come from the warm cache.
    npm_config_prefer_offline: "true",
    // Where the artifact and github-script stand-ins find the toolkit packages their real
    // actions bundle (@actions/artifact, github, core, exec, io): this workspace's install.
    TANDEM_REHEARSAL_PACKAGES: repoRoot,
  };
}

/** act's own environment, which jobs on the host inherit: the tools, never the caller's cloud credentials. */
function hostEnv(repoRoot: string): Record<string, string> {
  const keep = ["HOME", "LANG", "TMPDIR", "USER", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"];
  const env = Object.fromEntries(
    keep.flatMap((key) => (process.env[key] ? [[key, process.env[key]!]] : [])),
  );
  // The caller's node_modules/.bin stays out: a job runs the tools its own npm ci installed.
  const path = (process.env.PATH ?? "").split(delimiter).filter((d) => !d.includes("node_modules"));
  // The runner's tools: the test tools, and the GitHub CLI's stand-in (tools/rehearsal/runner).
  const tools = [join(repoRoot, ".tools", "bin"), join(repoRoot, RUNNER_TOOLS)];
  return { ...env, PATH: [...tools, ...path].join(delimiter) };
}

/** The job a token is minted for, as the sandbox's issuer takes it: from the run's claims. */
function jobOf(claims: JobClaims, manifest: Manifest): Job {
  const workflow = /\/\.github\/workflows\/([^@]+)@/.exec(claims.job_workflow_ref)?.[1] ?? "";
  return {
    repository: manifest.github.repository,
    event: claims.event_name,
    ref: claims.ref,
    workflow,
    ...(claims.environment ? { environment: claims.environment } : {}),
    subject: manifest.github,
  };
}
