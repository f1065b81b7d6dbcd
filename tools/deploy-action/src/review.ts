/**
 * What was reviewed for a merged commit: its pull request, the sticky comment this workflow's
 * token wrote for the environment (never anyone else's), and each root's change set, whose
 * sha256 must be the one that comment shows.
 */
import { join } from "node:path";
import { artifactName, readReview, UnreadableReview } from "./artifacts.ts";
import { changeSetSha256, type ChangeSet } from "./change-set.ts";
import { markerPrefix, parseMarker, type CommentHeader } from "./comment.ts";
import type { Context } from "./context.ts";
import { Refusal } from "./errors.ts";
import type { GitHub, PullRequestRef } from "./github.ts";

export interface PullReview {
  pull: PullRequestRef;
  header: CommentHeader;
}

const rerunPlan = (pull: number) =>
  `re-run the plan workflow on #${pull} (or push to it), then re-run this apply`;

/** The review of `pull` for the environment; undefined when no comment of ours exists. */
export async function pullReview(
  ctx: Context,
  github: GitHub,
  pull: PullRequestRef,
): Promise<PullReview | undefined> {
  const comment = await github.findComment(pull.number, markerPrefix(ctx.environment));
  if (!comment) return undefined;
  const header = parseMarker(comment.body, ctx.environment);
  if (!header)
    throw new Refusal(
      `the plan comment on #${pull.number} has no readable header: ${rerunPlan(pull.number)}`,
    );
  if (header.head !== pull.headSha)
    throw new Refusal(
      `the plan comment on #${pull.number} is of head ${header.head}, not its last head ${pull.headSha}: ${rerunPlan(pull.number)}`,
    );
  return { pull, header };
}

/** The change set reviewed for `root`, checked against the sha256 the comment shows. */
export async function reviewedChangeSet(
  ctx: Context,
  review: PullReview,
  root: string,
): Promise<ChangeSet> {
  const { pull, header } = review;
  const shown = header.changeSets[root];
  if (!shown)
    throw new Refusal(
      `no change set of ${root} was reviewed on #${pull.number} (its plan failed or did not include it): ${rerunPlan(pull.number)}`,
    );
  const name = artifactName(ctx.environment, root, pull.headSha);
  const dir = join(ctx.workDir, "reviewed", String(pull.number), root);
  const found = await ctx.store.download(name, dir, pull.headSha);
  if (found !== "found")
    throw new Refusal(
      `the reviewed change set of ${root} (artifact ${name}) is ${found === "expired" ? "expired" : "missing"}: ${rerunPlan(pull.number)}, or apply a fresh plan with the apply workflow's dispatch`,
    );
  let reviewed;
  try {
    reviewed = readReview(dir);
  } catch (error) {
    if (error instanceof UnreadableReview) throw new Refusal(error.message);
    throw error;
  }
  if (
    reviewed.environment !== ctx.environment ||
    reviewed.root !== root ||
    reviewed.headSha !== pull.headSha
  )
    throw new Refusal(
      `the artifact ${name} holds the review of ${reviewed.environment}/${reviewed.root} at ${reviewed.headSha}`,
    );
  const actual = changeSetSha256(reviewed.changeSet);
  if (actual !== shown)
    throw new Refusal(
      `the change set of ${root} has sha256 ${actual}, not the ${shown} the comment on #${pull.number} shows`,
    );
  return reviewed.changeSet;
}
