/**
 * The act runner seam: one workflow file run for one event by act on the host (its self-hosted
 * platform, no Docker), with the event payload GitHub would send, and act's JSON log read back
 * into jobs and steps.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { join } from "node:path";

/** The act release the rehearsal is written against (tools/setup/install-test-tools.sh builds it). */
export const ACT_VERSION = "0.2.89";

export interface ActInvocation {
  /** The act binary. */
  act: string;
  /** The checkout the workflow runs on (act copies it into each job's workspace). */
  workdir: string;
  /** The workflow file, relative to `workdir`. */
  workflow: string;
  event: string;
  eventFile: string;
  /** The runner's environment and the workflow's `vars` and `secrets`. */
  env: Record<string, string>;
  vars: Record<string, string>;
  secrets: Record<string, string>;
  /** `owner/repo@ref` → the folder act uses instead of fetching it. */
  localRepositories: Record<string, string>;
  /** act's action cache and the jobs' workspaces. */
  cacheDir: string;
  /** The environment act itself runs in (jobs inherit it on the host). */
  processEnv: Record<string, string>;
  timeoutMs: number;
  /** Where act's own output (JSON lines) is written, as it came. */
  logFile: string;
  progress?: (line: string) => void;
}

export interface StepResult {
  /** The step's position, e.g. `1/0` for the first step of the second step's composite action. */
  id: string;
  name: string;
  stage: string;
  result: string;
  seconds: number;
  log: string[];
  /** What the step wrote to $GITHUB_STEP_SUMMARY (act logs it once the step ends). */
  summary?: string;
}

export interface JobResult {
  id: string;
  name: string;
  result: string;
  seconds: number;
  steps: StepResult[];
}

export interface ActRun {
  exitCode: number;
  seconds: number;
  jobs: JobResult[];
  /** What act said outside any job (its own errors). */
  messages: string[];
}

/** Why act cannot run here, or undefined. */
export function actUnavailable(act: string | undefined): string | undefined {
  return act ? undefined : "act is not built: run `bash tools/setup/install-test-tools.sh go`";
}

/** act from the repository's .tools/bin, where the test tools are built. */
export function findAct(repoRoot: string): string | undefined {
  const built = join(repoRoot, ".tools", "bin", "act");
  return existsSync(built) ? built : undefined;
}

export function actArguments(run: ActInvocation): string[] {
  const pairs = (flag: string, values: Record<string, string>) =>
    Object.entries(values).flatMap(([key, value]) => [flag, `${key}=${value}`]);
  return [
    run.event,
    ...["--workflows", run.workflow, "--eventpath", run.eventFile, "--json", "--no-recurse"],
    ...["--platform", "ubuntu-latest=-self-hosted", "--defaultbranch", "main"],
    ...["--action-cache-path", run.cacheDir, "--action-offline-mode", "--no-cache-server"],
    ...pairs("--env", run.env),
    ...pairs("--var", run.vars),
    ...pairs("--secret", run.secrets),
    ...pairs("--local-repository", run.localRepositories),
  ];
}

/** Runs act once; resolves when it ends (or is stopped at the time limit). */
export function runAct(run: ActInvocation): Promise<ActRun> {
  const started = performance.now();
  const parser = new ActLog(run.progress);
  return new Promise((resolve, reject) => {
    // Its own process group, so the time limit stops act and every process a job started.
    const child = spawn(run.act, actArguments(run), {
      cwd: run.workdir,
      env: run.processEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const timer = setTimeout(() => {
      parser.message(`act ran longer than ${run.timeoutMs / 1000} s and was stopped`);
      if (child.pid) process.kill(-child.pid, "SIGTERM");
    }, run.timeoutMs);
    const log = createWriteStream(run.logFile);
    const each = (line: string) => {
      log.write(`${line}\n`);
      parser.line(line);
    };
    lines(child.stdout, each);
    lines(child.stderr, each);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      log.end();
      resolve({ exitCode: code ?? 1, seconds: seconds(started), ...parser.result() });
    });
  });
}

function lines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    parts.forEach(each);
  });
  stream.on("end", () => rest && each(rest));
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

interface LogEntry {
  msg?: string;
  level?: string;
  jobID?: string;
  job?: string;
  step?: string;
  stepID?: string[];
  stage?: string;
  stepResult?: string;
  jobResult?: string;
  executionTime?: number;
  raw_output?: boolean;
  command?: string;
  arg?: string;
  content?: string;
}

/** act's `--json` log, line by line, into jobs and steps. */
export class ActLog {
  private readonly jobs = new Map<string, JobResult & { started: number }>();
  private readonly messages: string[] = [];

  constructor(private readonly progress?: (line: string) => void) {}

  message(text: string): void {
    this.messages.push(text);
  }

  line(text: string): void {
    let entry: LogEntry;
    try {
      entry = JSON.parse(text) as LogEntry;
    } catch {
      if (text.trim()) this.messages.push(text);
      return;
    }
    if (!entry.job || !entry.jobID) {
      if (entry.level === "error" || entry.level === "fatal") this.messages.push(entry.msg ?? "");
      return;
    }
    const job = this.job(entry.job, entry.jobID);
    if (entry.jobResult) {
      job.result = entry.jobResult;
      job.seconds = seconds(job.started);
      this.progress?.(`${job.name}: ${job.result} (${job.seconds} s)`);
      return;
    }
    if (!entry.step || !entry.stepID) return;
    const step = this.step(job, entry);
    if (entry.stepResult) {
      step.result = entry.stepResult;
      step.seconds = Math.round((entry.executionTime ?? 0) / 1e8) / 10;
      if (!step.id.includes("/") && step.stage === "Main")
        this.progress?.(`${job.name}: ${step.name}: ${step.result} (${step.seconds} s)`);
    } else if (entry.command === "summary") {
      step.summary = (step.summary ?? "") + (entry.content ?? "");
    } else if (entry.raw_output || entry.command === "error" || entry.command === "warning") {
      step.log.push((entry.msg ?? "").replace(/\n$/, ""));
    }
  }

  result(): Pick<ActRun, "jobs" | "messages"> {
    return {
      jobs: [...this.jobs.values()].map(({ started: _, ...job }) => job),
      messages: this.messages,
    };
  }

  private job(name: string, id: string): JobResult & { started: number } {
    let job = this.jobs.get(name);
    if (!job) {
      job = {
        id,
        name: name.replace(/^[^/]*\//, "").trim(),
        result: "running",
        seconds: 0,
        steps: [],
        started: performance.now(),
      };
      this.jobs.set(name, job);
    }
    return job;
  }

  private step(job: JobResult, entry: LogEntry): StepResult {
    const id = entry.stepID!.join("/");
    const stage = entry.stage ?? "Main";
    let step = job.steps.find((s) => s.id === id && s.stage === stage);
    if (!step) {
      step = { id, name: firstLine(entry.step!), stage, result: "running", seconds: 0, log: [] };
      job.steps.push(step);
    }
    return step;
  }
}

const firstLine = (text: string) => text.split("\n")[0]!.slice(0, 120);

/** The innermost failed step of a job, with its log: what a rehearsal shows when a job fails. */
export function failedStep(job: JobResult): StepResult | undefined {
  return job.steps
    .filter((s) => s.result === "failure")
    .sort((a, b) => b.id.length - a.id.length)[0];
}
