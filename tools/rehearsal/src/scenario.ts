/**
 * Scenarios: the events a rehearsal sends, one workflow run each, and what each run must do.
 *
 * `default`: a pull request adds an alarm email (one SNS subscription in each regional root) and
 * is planned and commented; a second push edits the same comment; the merge is applied
 * (apply.yml, the roots in order, the outcome on the comment, the deployment recorded); drift.yml
 * finds the environment clean, then, after the subscription is changed out of band, opens the
 * environment's drift issue; drill.yml, dispatched, drills the environment on the drill's
 * emulation (served to the job) with a token from the issuer's host. `back-to-back`: two pull requests, each adding an email, planned,
 * then merged one after the other and applied in merge order by one apply run.
 *
 * Every change is additive: the shared sandbox is one applied staging that other tests read, so
 * the rehearsal applies only objects of its own (removed when it ends), on its own copy of the
 * state.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import { join } from "node:path";
import { parseDocument } from "yaml";
import {
  formatProblem,
  loadEnvironment,
  type Manifest as GeneratorManifest,
} from "@tandem/generator";
import type { SandboxFault } from "@tandem/drill";
import type { JobResult } from "./act.ts";
import { serveDrillWorld } from "./drill-world.ts";
import { RehearsalError } from "./errors.ts";
import { BOT, type GitHubDouble, type Issue } from "./github-double.ts";
import { setSubscriptionFilterPolicy } from "./out-of-band.ts";
import type { RehearsalRepository } from "./repository.ts";

/** One workflow run a scenario asks for: how to start it and what it must have done. */
export interface Leg {
  name: string;
  /** The workflow file under .github/workflows/. */
  workflow: string;
  event: string;
  /** Sets up the repository, the double and the sandbox, and returns what GitHub would send. */
  start(world: World): Start | Promise<Start>;
  /** What went wrong, judged on the jobs act ran and on what the double saw; empty when all is as expected. */
  check(world: World, jobs: JobResult[], runId: number): string[];
  /** How the run must end; default success. */
  conclusion?: "success" | "failure";
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
  /** What the runner adds to its jobs' environment for this run. */
  env?: Record<string, string>;
}

export interface World {
  repository: RehearsalRepository;
  github: GitHubDouble;
  environment: string;
  manifest: Manifest;
  /** The sandbox the jobs reach (its AWS endpoint), for changes made out of band. */
  sandbox: { repoRoot: string; endpoint: string };
  /** The scenario's pull requests, by branch. */
  pulls: Map<string, Issue>;
  /** The rehearsal's own folder (kept with --keep). */
  work: string;
  /** What a leg started for its run, stopped when the rehearsal ends. */
  cleanups: (() => Promise<void>)[];
}

export interface Manifest {
  file: string;
  primary: string;
  secondary: string;
  alarmEmails: string[];
  /** The manifest's `github`: the repository and the subject format its roles trust. */
  github: GeneratorManifest["github"];
}

export interface Scenario {
  legs: Leg[];
  /**
   * The resource addresses every plan of the rehearsal is narrowed to (`-target`): the objects
   * the scenario's pull requests create. moto leaves some attributes out of its answers
   * (tools/sandbox/known-gaps.json), so a whole root never re-plans empty on it, and an update
   * planned from such a gap cannot be applied there.
   */
  targets: string[];
  /** Changes the rehearsed copy before its first commit, leaving every synthesized root as it is. */
  prepare?: (dir: string, manifest: Manifest) => void;
  /** The runs need only the bootstrap's roles (OIDC, STS), not an applied environment. */
  bootstrapOnly?: boolean;
}

/** The emails the scenarios' pull requests add, one SNS subscription per regional root each. */
export const EMAILS = {
  first: "rehearsal-first@acme-payments.com",
  second: "rehearsal-second@acme-payments.com",
  other: "rehearsal-other@acme-payments.com",
} as const;

/** The monitoring module's subscription of `email` (the resource a pull request adds). */
export const subscriptionAddress = (email: string) =>
  `module.monitoring.aws_sns_topic_subscription.email["${email}"]`;

export const SCENARIOS: Record<string, () => Scenario> = {
  default: () => ({
    legs: [
      openPullRequest(BRANCH, "Alarm emails also to the rehearsal", addEmail(EMAILS.first)),
      pushAgain(BRANCH, "The rehearsal's second address instead", addEmail(EMAILS.second)),
      mergeAndApply([BRANCH]),
      driftClean(),
      driftAfterChange(EMAILS.second),
      drillByDispatch(),
      failedDrill(),
    ],
    targets: [EMAILS.first, EMAILS.second].map(subscriptionAddress),
  }),
  drill: () => ({ legs: [drillByDispatch(), failedDrill()], targets: [], bootstrapOnly: true }),
  "pull-request": () => ({
    legs: [openPullRequest(BRANCH, "Alarm emails also to the rehearsal", addEmail(EMAILS.first))],
    targets: [subscriptionAddress(EMAILS.first)],
  }),
  "back-to-back": () => ({
    legs: [
      openPullRequest(BRANCH, "Alarm emails also to the rehearsal", addEmail(EMAILS.first, 0)),
      openPullRequest(OTHER_BRANCH, "And to another address", addEmail(EMAILS.other)),
      mergeAndApply([BRANCH, OTHER_BRANCH]),
    ],
    targets: [EMAILS.first, EMAILS.other].map(subscriptionAddress),
    prepare: emailsOnePerLine,
  }),
};

export function scenario(name: string): Scenario {
  const make = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (!make)
    throw new RehearsalError(
      `unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(", ")}`,
    );
  return make();
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
  const { regions, monitoring, github } = loaded.manifest;
  return { file, ...regions, alarmEmails: monitoring.alarmEmails, github };
}

const BRANCH = "rehearsal/alarm-email";
const OTHER_BRANCH = "rehearsal/other-alarm-email";
const EMAILS_PATH = ["monitoring", "alarmEmails"];

/** The manifest's alarm emails as they were, plus `email` at `index` (default: last). */
function addEmail(email: string, index?: number) {
  return (world: World) => (dir: string) => {
    const path = join(dir, world.manifest.file);
    const document = parseDocument(readFileSync(path, "utf8"));
    const emails = [...world.manifest.alarmEmails];
    emails.splice(index ?? emails.length, 0, email);
    const list = document.getIn(EMAILS_PATH, true) as { items: unknown[] } | undefined;
    if (!list) throw new RehearsalError(`${world.manifest.file} has no monitoring.alarmEmails`);
    list.items = emails.map((e) => document.createNode(e));
    writeFileSync(path, document.toString());
  };
}

/**
 * The alarm emails one per line, the same list: two pull requests adding an email each, one
 * before the first and one after the last, then merge without a conflict, as two unrelated
 * changes do on GitHub.
 */
function emailsOnePerLine(dir: string, manifest: Manifest): void {
  const path = join(dir, manifest.file);
  const document = parseDocument(readFileSync(path, "utf8"));
  const list = document.getIn(EMAILS_PATH, true) as { flow?: boolean } | undefined;
  if (!list) throw new RehearsalError(`${manifest.file} has no monitoring.alarmEmails`);
  list.flow = false;
  writeFileSync(path, document.toString());
}

function repositoryJson(world: World) {
  return {
    full_name: world.github.repository,
    name: world.github.repo,
    owner: { login: world.github.owner },
    default_branch: "main",
  };
}

function pullOf(world: World, branch: string): Issue {
  const pull = world.pulls.get(branch);
  if (!pull?.pull) throw new RehearsalError(`the scenario has no pull request from ${branch}`);
  return pull;
}

/** What GitHub sends for a pull request, run on its merge into the current main (refs/pull/N/merge). */
function pullRequestStart(world: World, branch: string, action: "opened" | "synchronize"): Start {
  const pull = pullOf(world, branch);
  const state = pull.pull!;
  state.base.sha = world.repository.sha("main");
  const checkout = world.repository.checkoutMerge(state.base.sha, state.head.sha);
  const repo = repositoryJson(world);
  const payload = {
    action,
    number: pull.number,
    pull_request: {
      number: pull.number,
      title: pull.title,
      user: { login: pull.author },
      head: { ref: state.head.ref, sha: state.head.sha, repo },
      base: { ref: "main", sha: state.base.sha, repo },
    },
    repository: repo,
  };
  return { payload, checkout, ref: `refs/pull/${pull.number}/merge`, headSha: state.head.sha };
}

type Edit = (world: World) => (dir: string) => void;

function openPullRequest(branch: string, title: string, edit: Edit): Leg {
  return {
    name: `pull request ${branch} opened`,
    workflow: "plan.yml",
    event: "pull_request",
    start(world) {
      const base = world.repository.sha("main");
      const head = world.repository.commit(branch, "main", title, edit(world));
      const pull = world.github.openPull(
        title,
        { ref: branch, sha: head },
        { ref: "main", sha: base },
      );
      world.pulls.set(branch, pull);
      return pullRequestStart(world, branch, "opened");
    },
    check(world, jobs, runId) {
      const pull = pullOf(world, branch);
      const problems = jobsSucceeded(jobs, ["affected roots", `plan ${world.environment}`]);
      const writes = world.github
        .writesOf(runId)
        .filter((c) => c.path.endsWith(`/issues/${pull.number}/comments`));
      if (writes.length !== 1)
        problems.push(`expected one comment posted on #${pull.number}, saw ${writes.length}`);
      return [...problems, ...commentProblems(world, pull)];
    },
  };
}

function pushAgain(branch: string, message: string, edit: Edit): Leg {
  return {
    name: `second push to ${branch}`,
    workflow: "plan.yml",
    event: "pull_request",
    start(world) {
      const pull = pullOf(world, branch).pull!;
      pull.head.sha = world.repository.commit(branch, "main", message, edit(world));
      return pullRequestStart(world, branch, "synchronize");
    },
    check(world, jobs, runId) {
      const pull = pullOf(world, branch);
      const problems = jobsSucceeded(jobs, ["affected roots", `plan ${world.environment}`]);
      const edits = world.github
        .writesOf(runId)
        .filter((c) => c.method === "PATCH" && c.path.includes("/issues/comments/"));
      if (edits.length !== 1)
        problems.push(`expected the comment edited once, saw ${edits.length} edit(s)`);
      return [...problems, ...commentProblems(world, pull)];
    },
  };
}

/**
 * The pull requests merged into main one after the other (merge commits, as the merge button
 * makes), then apply.yml on the push of the last merge. With more than one, the first push's
 * run is the one GitHub replaced while it waited in the concurrency group, so this run applies
 * every merge since the last apply, in merge order, each against its own review.
 */
function mergeAndApply(branches: string[]): Leg {
  const merges: string[] = [];
  return {
    name: `${branches.length === 1 ? "merge" : "merges"} of ${branches.join(", ")} applied`,
    workflow: "apply.yml",
    event: "push",
    start(world) {
      const before = world.repository.sha("main");
      for (const branch of branches) {
        const pull = pullOf(world, branch);
        const sha = world.repository.merge(
          branch,
          `Merge pull request #${pull.number} from ${branch}`,
        );
        world.github.mergePull(pull.number, sha);
        merges.push(sha);
      }
      const after = merges.at(-1)!;
      const payload = {
        ref: "refs/heads/main",
        before,
        after,
        repository: repositoryJson(world),
        pusher: { name: "rehearsal" },
        head_commit: { id: after, message: `Merge pull request from ${branches.at(-1)}` },
      };
      return {
        payload,
        checkout: after,
        ref: "refs/heads/main",
        headSha: after,
        environment: world.environment,
      };
    },
    check(world, jobs) {
      const problems = jobsSucceeded(jobs, ["affected environments", `apply ${world.environment}`]);
      const applied = world.github.deployments.filter(
        (d) => d.environment === world.environment && d.task === "tandem:apply",
      );
      const recorded = applied.filter((d) => merges.includes(d.sha));
      if (recorded.map((d) => d.sha).join() !== merges.join())
        problems.push(
          `expected a deployment of each merge in order (${merges.join(", ")}), saw ${recorded.map((d) => d.sha).join(", ") || "none"}`,
        );
      for (const d of recorded)
        if (d.statuses.at(-1)?.state !== "success")
          problems.push(
            `the deployment of ${d.sha} ended ${d.statuses.at(-1)?.state ?? "without a status"}`,
          );
      for (const branch of branches)
        problems.push(...appliedOnComment(world, pullOf(world, branch)));
      return problems;
    },
  };
}

/** The regional roots, primary then secondary, each applied on the pull request's comment. */
function appliedOnComment(world: World, pull: Issue): string[] {
  const comment = planComment(world, pull);
  if (!comment) return [`no plan comment for ${world.environment} on #${pull.number}`];
  const { primary, secondary } = world.manifest;
  const rows = [primary, secondary].map((root) =>
    comment.body.indexOf(`| \`${root}\` | ✅ applied |`),
  );
  if (rows.some((at) => at < 0))
    return [`the comment on #${pull.number} does not show ${primary} and ${secondary} applied`];
  return rows[0]! < rows[1]!
    ? []
    : [`the comment on #${pull.number} shows ${secondary} applied before ${primary}`];
}

function dispatch(world: World, inputs: Record<string, string>): Start {
  world.repository.git("checkout", "--quiet", "main");
  const sha = world.repository.sha("main");
  return {
    payload: {
      inputs,
      ref: "refs/heads/main",
      repository: repositoryJson(world),
      sender: { login: "rehearsal" },
    },
    checkout: sha,
    ref: "refs/heads/main",
    headSha: sha,
  };
}

const driftMarker = (environment: string) => `<!-- tandem:drift env=${environment} -->`;

function driftClean(): Leg {
  return {
    name: "drift on the applied environment",
    workflow: "drift.yml",
    event: "workflow_dispatch",
    start: (world) => dispatch(world, { environment: world.environment }),
    check(world, jobs, runId) {
      const problems = jobsSucceeded(jobs, ["environments", `drift ${world.environment}`]);
      const writes = world.github.writesOf(runId);
      if (writes.length > 0)
        problems.push(
          `expected nothing written for a clean environment, saw ${writes.map((c) => `${c.method} ${c.path}`).join(", ")}`,
        );
      return problems;
    },
  };
}

/** The subscription of `email` in the secondary region given a filter policy out of band. */
function driftAfterChange(email: string): Leg {
  return {
    name: "drift after a change out of band",
    workflow: "drift.yml",
    event: "workflow_dispatch",
    async start(world) {
      await setSubscriptionFilterPolicy(world.sandbox, world.manifest.secondary, email, {
        changed: ["out of band"],
      });
      return dispatch(world, { environment: world.environment });
    },
    check(world, jobs) {
      const problems = jobsSucceeded(jobs, ["environments", `drift ${world.environment}`]);
      const issues = [...world.github.issues.values()].filter(
        (i) =>
          i.author === BOT &&
          i.state === "open" &&
          i.body.startsWith(driftMarker(world.environment)),
      );
      const title = `Drift in ${world.environment}: ${world.manifest.secondary}`;
      if (issues.length !== 1 || issues[0]!.title !== title)
        problems.push(
          `expected one open issue "${title}", saw ${issues.map((i) => `"${i.title}"`).join(", ") || "none"}`,
        );
      return problems;
    },
  };
}

/**
 * drill.yml dispatched for the environment (switchover), its drill job in the GitHub
 * environment drill-<env>, whose secrets hold the OAuth client of the issuer the rehearsal
 * serves. The job's `tandem drill` acts on the drill's emulation (TANDEM_DRILL_WORLD), started
 * for this run with `faults` (the previous drill leg's emulation stopped first).
 */
async function startDrill(world: World, faults: SandboxFault[]): Promise<Start> {
  await world.cleanups.at(-1)?.();
  const { repoRoot } = world.sandbox;
  const served = await serveDrillWorld(repoRoot, world.environment, world.work, faults);
  world.cleanups.push(served.close);
  const environment = `drill-${world.environment}`;
  world.github.environmentSecrets.set(environment, {
    TANDEM_DRILL_CLIENT_ID: served.client.id,
    TANDEM_DRILL_CLIENT_SECRET: served.client.secret,
  });
  const inputs = { environment: world.environment, mode: "switchover", "dry-run": "false" };
  return { ...dispatch(world, inputs), environment, env: served.env };
}

/**
 * The drill passes. Expected: every job succeeds, the drill's report in the job summary and as
 * the artifact drill-<env>, passed, RTO and RPO within the manifest's objectives, and nothing
 * written to GitHub (no issue).
 */
function drillByDispatch(): Leg {
  return {
    name: "drill by dispatch",
    workflow: "drill.yml",
    event: "workflow_dispatch",
    start: (world) => startDrill(world, []),
    check(world, jobs, runId) {
      const env = world.environment;
      const problems = jobsSucceeded(jobs, ["environments", `drill ${env}`, `report ${env}`]);
      const summary = jobs
        .find((j) => j.name === `drill ${env}`)
        ?.steps.map((s) => s.summary ?? "")
        .join("");
      if (!summary?.includes(`## DR drill: ${env} (switchover) — ✅`))
        problems.push(`the drill job's summary does not show the drill of ${env} passed`);
      const writes = world.github.writesOf(runId).filter((c) => !c.path.startsWith("/twirp/"));
      if (writes.some((c) => c.path.includes("/issues")))
        problems.push(`a passed drill wrote issues: ${writes.map((c) => c.path).join(", ")}`);
      return [...problems, ...drillReportProblems(world, runId)];
    },
  };
}

/**
 * The drill fails: the emulation's secondary region is unhealthy (its table gone), so preflight
 * refuses to move anything. Expected: the drill job fails after uploading its report (not
 * passed), and the report job opens one issue `DR drill failed: <env>` (the workflow's token, the
 * drill marker, label `tandem:drill`) and fails the run.
 */
function failedDrill(): Leg {
  return {
    name: "a failing drill by dispatch",
    workflow: "drill.yml",
    event: "workflow_dispatch",
    conclusion: "failure",
    start: (world) => startDrill(world, ["secondary-unhealthy"]),
    check(world, jobs, runId) {
      const env = world.environment;
      const problems = jobsSucceeded(jobs, ["environments"]);
      for (const name of [`drill ${env}`, `report ${env}`])
        if (jobs.find((j) => j.name === name)?.result !== "failure")
          problems.push(`expected job "${name}" to fail`);
      const name = `drill-${env}`;
      if (!world.github.artifacts.some((a) => a.run === runId && a.name === name && a.finalized))
        problems.push(`no artifact ${name} uploaded by the failed drill`);
      const issues = [...world.github.issues.values()].filter(
        (i) =>
          i.author === BOT &&
          i.state === "open" &&
          i.body.startsWith(`<!-- tandem:drill environment=${env} -->`),
      );
      if (issues.length !== 1 || issues[0]!.title !== `DR drill failed: ${env}`)
        problems.push(
          `expected one open issue "DR drill failed: ${env}", saw ${issues.map((i) => `"${i.title}"`).join(", ") || "none"}`,
        );
      else if (!issues[0]!.labels.includes("tandem:drill"))
        problems.push(`the drill issue lacks the label tandem:drill`);
      return problems;
    },
  };
}

/** The run's artifact drill-<env>: the drill's JSON report, passed, RTO and RPO within the objectives. */
function drillReportProblems(world: World, runId: number): string[] {
  const name = `drill-${world.environment}`;
  const artifact = world.github.artifacts.find(
    (a) => a.run === runId && a.name === name && a.finalized,
  );
  if (!artifact?.data) return [`no artifact ${name} uploaded`];
  const file = unzipSync(new Uint8Array(artifact.data))[`${name}.json`];
  if (!file) return [`the artifact ${name} holds no ${name}.json`];
  const report = JSON.parse(strFromU8(file)) as {
    passed: boolean;
    measured: { trafficRtoSeconds: number | null; rpoSeconds: number | null };
    objectives: { rtoSeconds: number; rpoSeconds: number };
  };
  const { trafficRtoSeconds: rto, rpoSeconds: rpo } = report.measured;
  const problems = report.passed ? [] : [`the drill's report says it did not pass`];
  if (rto === null || rto > report.objectives.rtoSeconds)
    problems.push(`the drill's RTO ${rto} s is not within ${report.objectives.rtoSeconds} s`);
  if (rpo === null || rpo > report.objectives.rpoSeconds)
    problems.push(`the drill's RPO ${rpo} s is not within ${report.objectives.rpoSeconds} s`);
  return problems;
}

function jobsSucceeded(jobs: JobResult[], expected: string[]): string[] {
  return expected.flatMap((name) => {
    const job = jobs.find((j) => j.name === name);
    return job?.result === "success"
      ? []
      : [`job "${name}" ${job ? `ended ${job.result}` : "did not run"}`];
  });
}

function planComment(world: World, pull: Issue) {
  const mine = pull.comments.filter(
    (c) => c.author === BOT && c.body.startsWith(`<!-- tandem:plan env=${world.environment} `),
  );
  return mine.length === 1 ? mine[0] : undefined;
}

/** One comment by the workflow token on the pull request, for the environment, of the current head. */
function commentProblems(world: World, pull: Issue): string[] {
  const comment = planComment(world, pull);
  if (!comment) return [`expected one plan comment for ${world.environment} on #${pull.number}`];
  return comment.body.includes(pull.pull!.head.sha)
    ? []
    : [`the plan comment does not name the head ${pull.pull!.head.sha}`];
}
