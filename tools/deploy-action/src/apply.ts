/**
 * apply: every pull request merged since the environment's last successful apply (its GitHub
 * Deployments), in merge order, each against its own review. Each root is planned again on the
 * merged code with the apply role, and that fresh plan is applied only when its change set
 * equals the reviewed one; nothing the pull request's job produced is executed. The first
 * refusal or failure stops the run and leaves later roots and merges untouched; a re-run
 * resumes (a root whose fresh plan is empty was applied). A dispatch applies a fresh plan whose
 * change set has the sha256 the operator approved.
 */
import { changeSetDiff, environmentSha256, isEmpty } from "./change-set.ts";
import { COMMENT_LIMIT, markerPrefix } from "./comment.ts";
import type { CommandResult, Context, RootOutcome } from "./context.ts";
import { applyOrder, type Deployment, type EnvironmentDeployments } from "./deployments.ts";
import { Refusal } from "./errors.ts";
import type { GitHub, PullRequestRef } from "./github.ts";
import { freshPlan, type FreshPlan } from "./fresh-plan.ts";
import { code } from "./markdown.ts";
import { isBad, mergeFailed, mergeRows, outcomeTable, type MergeOutcome } from "./outcome.ts";
import { DATA_LOSS_LABEL, summarizePlan } from "./plan-summary.ts";
import { errorText } from "./plan.ts";
import { closeRecovery, openRecovery } from "./recovery.ts";
import { pullReview, reviewedChangeSet, type PullReview } from "./review.ts";

/** The workflow whose pull_request runs hold reviews (and date a head's push). */
export const PLAN_WORKFLOW = "plan.yml";

/** Why the data-loss label does not count, or undefined when it does. */
async function labelRefusal(github: GitHub, pull: PullRequestRef): Promise<string | undefined> {
  const label = await github.labelAdded(pull.number, DATA_LOSS_LABEL);
  if (!label) return `#${pull.number} lacks the label ${DATA_LOSS_LABEL}`;
  if (label.by === pull.author)
    return `${DATA_LOSS_LABEL} was added by the pull request's author ${label.by}; a reviewer with write access must add it`;
  const pushed = await github.headPushedAt(PLAN_WORKFLOW, pull.headSha);
  if (!pushed || label.at < pushed)
    return `${DATA_LOSS_LABEL} was added at ${label.at}, before the last push (${pushed ?? "unknown"}); a reviewer must add it again after the last push`;
  if (!(await github.canWrite(label.by)))
    return `${DATA_LOSS_LABEL} was added by ${label.by}, who has no write access`;
  return undefined;
}

/** Data at risk is judged on the plan about to be applied. */
async function checkDataAtRisk(
  ctx: Context,
  fresh: FreshPlan,
  pull: PullRequestRef | undefined,
): Promise<void> {
  const risks = summarizePlan(fresh.json, ctx.statefulTypes).dataAtRisk;
  if (risks.length === 0 || !pull) return;
  const why = await labelRefusal(ctx.github!, pull);
  if (why)
    throw new Refusal(
      `data at risk (${risks.map((c) => `${c.actions[0]} ${c.address}`).join(", ")}): ${why}`,
    );
}

async function applyReviewedRoot(
  ctx: Context,
  tree: EnvironmentDeployments,
  root: Deployment,
  review: PullReview,
): Promise<RootOutcome> {
  const reviewed = await reviewedChangeSet(ctx, review, root.name);
  const fresh = await freshPlan(ctx, tree, root);
  if (isEmpty(fresh.changeSet))
    return isEmpty(reviewed)
      ? { name: root.name, status: "no-changes" }
      : {
          name: root.name,
          status: "applied",
          reason: "already applied: the fresh plan is empty (an earlier run applied it)",
        };
  const diff = changeSetDiff(reviewed, fresh.changeSet);
  if (diff.length > 0)
    throw new Refusal(
      [
        `the fresh plan of ${root.name} differs from the one reviewed on #${review.pull.number}:`,
        ...diff,
      ].join("\n"),
    );
  await checkDataAtRisk(ctx, fresh, review.pull);
  await ctx.terraform.apply(fresh.rootDir, fresh.planFile);
  return { name: root.name, status: "applied" };
}

/** Runs `each` over roots in order; the first refusal or failure skips the rest. */
async function inOrder(
  roots: Deployment[],
  each: (root: Deployment) => Promise<RootOutcome>,
): Promise<RootOutcome[]> {
  const outcomes: RootOutcome[] = [];
  for (const root of roots) {
    if (outcomes.some(isBad)) {
      outcomes.push({
        name: root.name,
        status: "skipped",
        reason: "not applied: an earlier root did not apply",
      });
      continue;
    }
    try {
      outcomes.push(await each(root));
    } catch (error) {
      const status = error instanceof Refusal ? "refused" : "failed";
      outcomes.push({ name: root.name, status, reason: errorText(error) });
    }
  }
  return outcomes;
}

/** Roots whose synthesized JSON differs between two trees (or is new). */
function changedRoots(before: EnvironmentDeployments, after: EnvironmentDeployments): string[] {
  const was = new Map(before.deployments.map((d) => [d.name, d.sha256]));
  return after.deployments.filter((d) => was.get(d.name) !== d.sha256).map((d) => d.name);
}

/** Applies one merged commit against its pull request's review. */
async function applyMerge(
  ctx: Context,
  github: GitHub,
  { sha, pull }: Landed,
  parent: string | undefined,
): Promise<MergeOutcome> {
  const before = parent ? await ctx.history.treeAt(parent) : undefined;
  const tree = await ctx.history.treeAt(sha);
  const changed = before ? changedRoots(before, tree) : undefined;
  const base = { sha, tree, ...(pull ? { pull } : {}) };
  try {
    if (pull?.fork)
      throw new Refusal(
        `#${pull.number} came from a fork: it was never planned (fork pull requests get no cloud credentials); open it from a branch of this repository`,
      );
    const review = pull ? await pullReview(ctx, github, pull) : undefined;
    if (!review) {
      if (changed?.length === 0) return { ...base, roots: [] };
      throw new Refusal(
        pull
          ? `#${pull.number} has no plan comment for ${ctx.environment} written by ${github.author}: re-run the plan workflow on it, then re-run this apply`
          : `commit ${sha} belongs to no pull request: nothing was reviewed`,
      );
    }
    const names = new Set([...Object.keys(review.header.roots), ...(changed ?? [])]);
    const unknown = [...names].filter((n) => !tree.deployments.some((d) => d.name === n));
    if (unknown.length > 0)
      throw new Refusal(`${ctx.environment} has no root ${unknown.join(", ")} at ${sha}`);
    const roots = applyOrder(tree.deployments.filter((d) => names.has(d.name)));
    return { ...base, roots: await inOrder(roots, (r) => applyReviewedRoot(ctx, tree, r, review)) };
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return { ...base, roots: [], refused: error.message };
  }
}

export function applySection(environment: string, merge: MergeOutcome): string {
  return [
    APPLY_START,
    `### Apply of ${code(environment)} at ${code(merge.sha.slice(0, 12))}`,
    "",
    ...outcomeTable(mergeRows(merge)),
    APPLY_END,
  ].join("\n");
}

const APPLY_START = "<!-- tandem:apply -->";
const APPLY_END = "<!-- /tandem:apply -->";

/** The plan comment with the apply section (replacing an earlier one) right after the marker. */
export function withApplySection(body: string, section: string): string {
  const newline = body.indexOf("\n");
  const markerLine = newline < 0 ? body : body.slice(0, newline);
  let rest = newline < 0 ? "" : body.slice(newline + 1);
  const start = rest.indexOf(APPLY_START);
  const end = rest.indexOf(APPLY_END);
  if (start >= 0 && end > start)
    rest = rest.slice(0, start) + rest.slice(end + APPLY_END.length).replace(/^\n+/, "");
  let text = `${markerLine}\n${section}\n\n${rest}`;
  while (text.length > COMMENT_LIMIT) text = dropLargestDetails(text);
  return text;
}

function dropLargestDetails(text: string): string {
  const blocks = [...text.matchAll(/<details>[\s\S]*?\n<\/details>/g)];
  const largest = blocks.sort((a, b) => b[0].length - a[0].length)[0];
  const note =
    "<details><summary>cut to fit the apply outcome: see the plan run's job summary</summary></details>";
  if (!largest || largest[0] === note) return text.slice(0, COMMENT_LIMIT);
  return text.slice(0, largest.index) + note + text.slice(largest.index + largest[0].length);
}

/** The outcome on the merged pull request's own comment (ours: another's is never edited). */
async function tellPull(ctx: Context, github: GitHub, merge: MergeOutcome): Promise<void> {
  if (!merge.pull) return;
  const prefix = markerPrefix(ctx.environment);
  const existing = await github.findComment(merge.pull.number, prefix);
  const section = applySection(ctx.environment, merge);
  const body = withApplySection(existing?.body ?? `${prefix}{} -->`, section);
  await github.upsertComment(merge.pull.number, prefix, body);
}

function failureLine(m: MergeOutcome): string {
  const bad = mergeRows(m).find(isBad)!;
  return `${bad.name} ${bad.status} at ${m.sha.slice(0, 12)}: ${bad.reason?.split("\n")[0] ?? ""}`;
}

function needGitHub(ctx: Context): GitHub {
  if (!ctx.github)
    throw new Refusal("apply needs a github-token: the reviews and the ledger are on GitHub");
  return ctx.github;
}

async function record(
  github: GitHub,
  ctx: Context,
  sha: string,
  run: () => Promise<MergeOutcome>,
): Promise<MergeOutcome> {
  const id = await github.startDeployment(
    ctx.environment,
    sha,
    `tandem apply of ${ctx.environment}`,
  );
  const merge = await run().catch(async (error: unknown) => {
    await github.deploymentStatus(id, "failure", errorText(error).split("\n")[0]!);
    throw error;
  });
  const failed = mergeFailed(merge);
  await github.deploymentStatus(
    id,
    failed ? "failure" : "success",
    failed ? failureLine(merge) : "applied",
  );
  return merge;
}

interface Landed {
  sha: string;
  pull: PullRequestRef | undefined;
}

/**
 * What landed since `base`, one entry per pull request: a rebase-merged pull request puts each
 * of its commits on main, and only its last one is the tree that was reviewed.
 */
async function landedSince(
  ctx: Context,
  github: GitHub,
  base: string | undefined,
): Promise<Landed[]> {
  const commits = await ctx.history.mergesSince(base, ctx.sha);
  const landed: Landed[] = [];
  for (const sha of commits) landed.push({ sha, pull: await github.pullForCommit(sha) });
  return landed.filter(
    (l, i) => l.pull === undefined || l.pull.number !== landed[i + 1]?.pull?.number,
  );
}

async function applyMerges(ctx: Context, github: GitHub): Promise<MergeOutcome[]> {
  const base = await github.lastApplied(ctx.environment);
  const landed = await landedSince(ctx, github, base);
  const merges: MergeOutcome[] = [];
  for (const [i, one] of landed.entries()) {
    const merge = await record(github, ctx, one.sha, () =>
      applyMerge(ctx, github, one, i === 0 ? base : landed[i - 1]!.sha),
    );
    merges.push(merge);
    for (const o of mergeRows(merge)) {
      ctx.log.info(
        `${ctx.environment}/${o.name}: ${o.status}${merge.pull ? ` (#${merge.pull.number})` : ""}`,
      );
      if (o.reason) ctx.log.untrusted(o.reason);
    }
    await tellPull(ctx, github, merge);
    if (mergeFailed(merge)) break;
  }
  return merges;
}

/** A dispatch: the fresh plan of every root at the commit, applied only if it is the approved one. */
async function applyApproved(
  ctx: Context,
  github: GitHub,
  approved: string,
): Promise<MergeOutcome> {
  const base = await github.lastApplied(ctx.environment);
  await ctx.history.mergesSince(base, ctx.sha); // refuses a commit behind what is applied
  const tree = ctx.deployments;
  const roots = applyOrder(tree.deployments);
  const plans = new Map<string, FreshPlan>();
  for (const root of roots) plans.set(root.name, await freshPlan(ctx, tree, root));
  const sha256 = environmentSha256(
    Object.fromEntries([...plans].map(([n, p]) => [n, p.changeSet])),
  );
  if (sha256 !== approved)
    throw new Refusal(
      `the fresh plan of ${ctx.environment} at ${ctx.sha.slice(0, 12)} has change-set sha256 ${sha256}, not the approved ${approved}: nothing was applied`,
    );
  const outcomes = await inOrder(roots, async (root) => {
    const plan = plans.get(root.name)!;
    if (isEmpty(plan.changeSet)) return { name: root.name, status: "no-changes" };
    await ctx.terraform.apply(plan.rootDir, plan.planFile);
    return { name: root.name, status: "applied", reason: "the approved fresh plan (dispatch)" };
  });
  return { sha: ctx.sha, roots: outcomes, tree };
}

async function dispatched(ctx: Context, github: GitHub, approved: string): Promise<MergeOutcome[]> {
  const merge = await record(github, ctx, ctx.sha, () =>
    applyApproved(ctx, github, approved).catch((error: unknown) => {
      if (!(error instanceof Refusal)) throw error;
      return { sha: ctx.sha, roots: [], refused: error.message, tree: ctx.deployments };
    }),
  );
  for (const o of mergeRows(merge)) ctx.log.info(`${ctx.environment}/${o.name}: ${o.status}`);
  return [merge];
}

export async function applyCommand(ctx: Context): Promise<CommandResult> {
  const summary = { command: "apply", environment: ctx.environment, sha: ctx.sha };
  let github: GitHub;
  let merges: MergeOutcome[];
  try {
    github = needGitHub(ctx);
    merges = ctx.approved
      ? await dispatched(ctx, github, ctx.approved)
      : await applyMerges(ctx, github);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return { changed: [], summary: { ...summary, refused: error.message }, failure: error.message };
  }
  const failed = merges.find(mergeFailed);
  if (failed) await openRecovery(ctx, github, failed, mergeRows(failed));
  else if (merges.length > 0) await closeRecovery(ctx, github);
  const sections = merges.map((m) => applySection(ctx.environment, m));
  if (sections.length === 0)
    sections.push(
      `Nothing to apply in ${code(ctx.environment)}: every merge up to ${code(ctx.sha.slice(0, 12))} is applied.`,
    );
  await ctx.jobSummary?.(sections.join("\n\n"));
  const roots = merges.flatMap((m) => m.roots);
  return {
    changed: [...new Set(roots.filter((o) => o.status === "applied").map((o) => o.name))],
    summary: {
      ...summary,
      merges: merges.map((m) => ({
        sha: m.sha,
        pullRequest: m.pull?.number,
        headSha: m.pull?.headSha,
        ...(m.refused ? { refused: m.refused } : {}),
        roots: m.roots,
      })),
      roots,
    },
    ...(failed ? { failure: failureLine(failed) } : {}),
  };
}
