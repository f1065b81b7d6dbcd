/** Everything a command needs, gathered once by main.ts; tests build it directly. */
import type { PlanStore } from "./artifacts.ts";
import type { BudgetView } from "./comment.ts";
import type { Deployment, EnvironmentDeployments } from "./deployments.ts";
import type { GitHub } from "./github.ts";
import type { Log } from "./log.ts";
import type { Terraform } from "./terraform.ts";

export interface Context {
  repoRoot: string;
  environment: string;
  deployments: EnvironmentDeployments;
  /** The roots this run handles (from the `deployments` input). */
  selected: Deployment[];
  terraform: Terraform;
  toolVersion: string;
  store: PlanStore;
  /** Absent outside a repository context (no token): nothing is posted. */
  github?: GitHub;
  /** The pull request being planned, for `plan`. */
  pullRequest?: { number: number; headSha: string };
  /** The commit this run is for (the PR head for plan, the merge commit for apply). */
  sha: string;
  /** Scratch space for plans; removed by the caller. */
  workDir: string;
  statefulTypes?: ReadonlySet<string>;
  /** The repository's history, for apply: what was merged, and the roots at each commit. */
  history: History;
  /** A dispatched apply: the sha256 of the environment's change set the operator approved. */
  approved?: string;
  /** This workflow run's id (GITHUB_RUN_ID), when under Actions. */
  runId?: string;
  budget: BudgetView | { unavailable: string };
  log: Log;
  /** Writes the job summary (GITHUB_STEP_SUMMARY); absent when there is none. */
  jobSummary?: (markdown: string) => Promise<void>;
}

export interface History {
  /**
   * The commits merged after `base` up to `head`, oldest first (first parents: one per pull
   * request, one per pull request of a merge-queue batch); only `head` when there is no base.
   * Throws a Refusal when `base` is not an ancestor of `head`.
   */
  mergesSince(base: string | undefined, head: string): Promise<string[]>;
  /** The synthesized roots of the environment at a commit. */
  treeAt(sha: string): Promise<EnvironmentDeployments>;
}

export interface RootOutcome {
  name: string;
  status:
    "applied" | "refused" | "failed" | "skipped" | "no-changes" | "unlocked" | "unlocked-none";
  reason?: string;
}

export interface CommandResult {
  /** Roots with changes. */
  changed: string[];
  /** The JSON summary written to `summary`. */
  summary: unknown;
  /** Why the step fails, when it does. */
  failure?: string;
}
