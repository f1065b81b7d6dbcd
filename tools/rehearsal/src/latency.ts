/**
 * Where a pull request's wait for its plan comment goes (issue 20, goal 4): the plan job's
 * phases from act's step times, and the slowest root's own init + plan + show from the deploy
 * action's log line `<env>/<root>: has changes (<ms> ms…)`.
 */
import type { JobResult } from "./act.ts";

export interface PlanLatency {
  /** The job that lists the affected roots, before the plan job starts. */
  affectedSeconds: number;
  setupSeconds: number;
  /** The job's run steps: the roots' JSON for the action, and `tandem synth`. */
  synthSeconds: number;
  oidcSeconds: number;
  deployActionSeconds: number;
  /** The slowest root alone: its init, plan and show, as the action timed it. */
  slowestRoot?: { name: string; seconds: number };
  /** The rest of the action: the other roots' turns at init, rendering, the artifact, the comment. */
  deployActionRestSeconds?: number;
}

const ROOT_LINE = /^[\w-]+\/([\w-]+): (?:has changes|no changes|failed) \((\d+) ms/;
const SETUP = "./.github/actions/setup";
const OIDC = "./.github/actions/aws-role";
const DEPLOY_ACTION = "./tools/deploy-action";

/** The phases of the plan job of a plan.yml run, or undefined when no job ran the deploy action. */
export function planLatency(jobs: JobResult[]): PlanLatency | undefined {
  const main = (job: JobResult) =>
    job.steps.filter((s) => s.stage === "Main" && !s.id.includes("/"));
  const plan = jobs.find((j) => main(j).some((s) => s.name === DEPLOY_ACTION));
  const affected = jobs.find((j) => j !== plan);
  if (!plan) return undefined;
  const steps = main(plan);
  const sum = (pick: (name: string) => boolean) =>
    round(steps.filter((s) => pick(s.name)).reduce((total, s) => total + s.seconds, 0));
  const action = steps.find((s) => s.name === DEPLOY_ACTION)!;
  const roots = action.log.flatMap((line) => {
    const m = ROOT_LINE.exec(line.trim());
    return m ? [{ name: m[1]!, seconds: round(Number(m[2]) / 1000) }] : [];
  });
  const slowest = roots.sort((a, b) => b.seconds - a.seconds)[0];
  return {
    affectedSeconds: affected?.seconds ?? 0,
    setupSeconds: sum((n) => n === SETUP),
    synthSeconds: sum(
      (n) => ![SETUP, OIDC, DEPLOY_ACTION].includes(n) && !n.startsWith("actions/checkout@"),
    ),
    oidcSeconds: sum((n) => n === OIDC),
    deployActionSeconds: action.seconds,
    ...(slowest
      ? {
          slowestRoot: slowest,
          deployActionRestSeconds: round(Math.max(0, action.seconds - slowest.seconds)),
        }
      : {}),
  };
}

const round = (seconds: number) => Math.round(seconds * 10) / 10;
