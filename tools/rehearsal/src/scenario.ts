/**
 * Scenarios: the events a rehearsal sends, one workflow run each, and what each run must do.
 * `default`: a pull request changing the secondary root is planned and commented; a second
 * push to it edits the same comment.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import {
  formatProblem,
  loadEnvironment,
  type Manifest as GeneratorManifest,
} from "@tandem/generator";
import { BOT, type GitHubDouble, type Issue } from "./github-double.ts";
import { RehearsalError } from "./errors.ts";
import type { RehearsalRepository } from "./repository.ts";
import type { JobResult } from "./act.ts";

/** One workflow run a scenario asks for: how to start it and what it must have done. */
export interface Leg {
  name: string;
  /** The workflow file under .github/workflows/. */
  workflow: string;
  event: string;
  /** Sets up the repository and the double, and returns what GitHub would send. */
  start(world: World): Start;
  /** What went wrong, judged on the jobs act ran and on what the double saw; empty when all is as expected. */
  check(world: World, jobs: JobResult[], runId: number): string[];
}

export interface Start {
  payload: Record<string, unknown>;
  /** The commit act runs on (what actions/checkout would check out). */
  checkout: string;
  ref: string;
  /** The run's head_sha, as GitHub lists it. */
  headSha: string;
  /** The GitHub environment the run's jobs use, if any (the OIDC `environment` claim). */
  environment?: string;
}

export interface World {
  repository: RehearsalRepository;
  github: GitHubDouble;
  environment: string;
  manifest: Manifest;
  /** Shared between legs: the pull request the scenario works on. */
  pull?: Issue;
}

export interface Manifest {
  file: string;
  secondary: string;
  cidrs: Record<string, string>;
  /** The manifest's `github`: the repository and the subject format its roles trust. */
  github: GeneratorManifest["github"];
}

export const SCENARIOS: Record<string, (environment: string) => Leg[]> = {
  default: () => [openPullRequest(), pushAgain()],
  "pull-request": () => [openPullRequest()],
};

export function scenario(name: string, environment: string): Leg[] {
  const make = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (!make)
    throw new RehearsalError(
      `unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(", ")}`,
    );
  return make(environment);
}

/** The environment's manifest, validated: a problem is an error located as file:line:col. */
export function readManifest(repoRoot: string, environment: string): Manifest {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(environment))
    throw new RehearsalError(`"${environment}" is not an environment name`);
  const file = join("environments", `${environment}.yaml`);
  if (!existsSync(join(repoRoot, file)))
    throw new RehearsalError(`no environment ${environment}: ${file} does not exist`);
  const { environment: loaded, problems } = loadEnvironment(file, { root: repoRoot });
  if (!loaded) throw new RehearsalError(problems.map(formatProblem).join("\n"));
  const { regions, networking, github } = loaded.manifest;
  return { file, secondary: regions.secondary, cidrs: networking.cidrs, github };
}

/** The secondary region's CIDR moved by `step` in its second octet: a change of the secondary root alone. */
function moveSecondaryCidr(manifest: Manifest, step: number) {
  return (dir: string) => {
    const path = join(dir, manifest.file);
    const document = parseDocument(readFileSync(path, "utf8"));
    const [a, b] = manifest.cidrs[manifest.secondary]!.split(".");
    document.setIn(
      ["networking", "cidrs", manifest.secondary],
      `${a}.${(Number(b) + step) % 256}.0.0/16`,
    );
    writeFileSync(path, document.toString());
  };
}

const BRANCH = "rehearsal/secondary";

function pullRequestStart(world: World, action: "opened" | "synchronize"): Start {
  const pull = world.pull!;
  const checkout = world.repository.checkoutMerge(pull.pull!.base.sha, pull.pull!.head.sha);
  const repo = {
    full_name: world.github.repository,
    name: world.github.repo,
    owner: { login: world.github.owner },
  };
  const payload = {
    action,
    number: pull.number,
    pull_request: {
      number: pull.number,
      title: pull.title,
      user: { login: pull.author },
      head: { ref: pull.pull!.head.ref, sha: pull.pull!.head.sha, repo },
      base: { ref: "main", sha: pull.pull!.base.sha, repo },
    },
    repository: { ...repo, default_branch: "main" },
  };
  return { payload, checkout, ref: `refs/pull/${pull.number}/merge`, headSha: pull.pull!.head.sha };
}

function openPullRequest(): Leg {
  return {
    name: "pull request changing the secondary root",
    workflow: "plan.yml",
    event: "pull_request",
    start(world) {
      const base = world.repository.sha("main");
      const head = world.repository.commit(
        BRANCH,
        "main",
        "Move the secondary region's network",
        moveSecondaryCidr(world.manifest, 1),
      );
      world.pull = world.github.openPull(
        "Move the secondary region's network",
        { ref: BRANCH, sha: head },
        { ref: "main", sha: base },
      );
      return pullRequestStart(world, "opened");
    },
    check(world, jobs, runId) {
      const problems = planJobsSucceeded(world, jobs);
      const writes = world.github
        .writesOf(runId)
        .filter((c) => c.path.endsWith(`/issues/${world.pull!.number}/comments`));
      if (writes.length !== 1)
        problems.push(
          `expected one comment posted on #${world.pull!.number}, saw ${writes.length}`,
        );
      return [...problems, ...commentProblems(world)];
    },
  };
}

function pushAgain(): Leg {
  return {
    name: "second push to the pull request",
    workflow: "plan.yml",
    event: "pull_request",
    start(world) {
      const pull = world.pull!.pull!;
      pull.head.sha = world.repository.commit(
        BRANCH,
        "main",
        "Move it once more",
        moveSecondaryCidr(world.manifest, 2),
      );
      return pullRequestStart(world, "synchronize");
    },
    check(world, jobs, runId) {
      const problems = planJobsSucceeded(world, jobs);
      const edits = world.github
        .writesOf(runId)
        .filter((c) => c.method === "PATCH" && c.path.includes("/issues/comments/"));
      if (edits.length !== 1)
        problems.push(`expected the comment edited once, saw ${edits.length} edit(s)`);
      return [...problems, ...commentProblems(world)];
    },
  };
}

function planJobsSucceeded(world: World, jobs: JobResult[]): string[] {
  const expected = ["affected roots", `plan ${world.environment}`];
  return expected.flatMap((name) => {
    const job = jobs.find((j) => j.name === name);
    return job?.result === "success"
      ? []
      : [`job "${name}" ${job ? `ended ${job.result}` : "did not run"}`];
  });
}

/** One comment by the workflow token on the pull request, for the environment, of the current head. */
function commentProblems(world: World): string[] {
  const pull = world.pull!;
  const mine = pull.comments.filter(
    (c) => c.author === BOT && c.body.startsWith(`<!-- tandem:plan env=${world.environment} `),
  );
  if (mine.length !== 1)
    return [
      `expected one plan comment for ${world.environment} on #${pull.number}, found ${mine.length}`,
    ];
  return mine[0]!.body.includes(pull.pull!.head.sha)
    ? []
    : [`the plan comment does not name the head ${pull.pull!.head.sha}`];
}
