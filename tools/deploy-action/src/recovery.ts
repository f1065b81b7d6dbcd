/**
 * A refused or failed apply opens (or updates) one issue per environment: the outcome, the fresh
 * plan's summary at the commit where it stopped, and the exact dispatch that applies that fresh
 * plan. The next successful apply of the environment closes it.
 */
import { freshPlan } from "./fresh-plan.ts";
import { outcomeTable, type MergeOutcome } from "./outcome.ts";
import { environmentSha256, isEmpty, type ChangeSet } from "./change-set.ts";
import { COMMENT_LIMIT } from "./comment.ts";
import type { Context, RootOutcome } from "./context.ts";
import { applyOrder } from "./deployments.ts";
import type { GitHub } from "./github.ts";
import { code, fence, plain } from "./markdown.ts";
import { errorText } from "./plan.ts";

export function recoveryMarker(environment: string): string {
  return `<!-- tandem:apply-stopped env=${environment} -->`;
}

type Fresh = { changeSets: Record<string, ChangeSet> } | { error: string };

/** The fresh change set of every root at the commit where the apply stopped. */
async function freshChangeSets(ctx: Context, merge: MergeOutcome): Promise<Fresh> {
  try {
    const changeSets: Record<string, ChangeSet> = {};
    for (const root of applyOrder(merge.tree!.deployments))
      changeSets[root.name] = (await freshPlan(ctx, merge.tree!, root, false)).changeSet;
    return { changeSets };
  } catch (error) {
    return { error: errorText(error).split("\n").slice(0, 20).join("\n") };
  }
}

function changeLines(name: string, cs: ChangeSet): string[] {
  if (isEmpty(cs)) return [`- ${code(name)}: no changes`];
  return [
    `- ${code(name)}:`,
    ...cs.resources.map((r) => `  - ${code(r.actions.join("+"))} ${code(r.address)}`),
    ...cs.outputs.map((o) => `  - ${code(o.actions.join("+"))} ${code(`output.${o.name}`)}`),
  ];
}

export function dispatchCommand(environment: string, commit: string, sha256: string): string {
  return `gh workflow run apply.yml --ref main -f environment=${environment} -f commit=${commit} -f change-set-sha256=${sha256}`;
}

export function recoveryBody(
  environment: string,
  merge: MergeOutcome,
  rows: RootOutcome[],
  fresh: Fresh,
): string {
  const where = `${code(merge.sha.slice(0, 12))}${merge.pull ? ` (#${merge.pull.number})` : ""}`;
  const lines = [
    recoveryMarker(environment),
    `### The apply of ${code(environment)} stopped at ${where}`,
    "",
    ...outcomeTable(rows),
    "",
  ];
  if ("error" in fresh) {
    lines.push(
      "The fresh plan at that commit failed, so no dispatch is offered:",
      "",
      fence(fresh.error),
      "",
      "Fix the cause, then re-run the failed apply run: it resumes where it stopped.",
    );
  } else {
    const sha256 = environmentSha256(fresh.changeSets);
    lines.push(
      `**The fresh plan at ${code(merge.sha.slice(0, 12))}**, what a dispatch would apply (roots already applied show no changes):`,
      "",
      ...Object.entries(fresh.changeSets).flatMap(([name, cs]) => changeLines(name, cs)),
      "",
      "**Ways forward**",
      "",
      "1. The reviewed plan still holds (a failed call, a lock, expired credentials): fix the cause and re-run the failed apply run. Roots whose fresh plan is empty are recorded as applied and the next root continues.",
      `2. The fresh plan above is what ${plain(environment)} should get: after reviewing it, dispatch exactly it. The dispatch runs in the GitHub environment ${code(environment)} (its reviewers approve) and refuses if the fresh plan is then any different.`,
      "",
      fence(dispatchCommand(environment, merge.sha, sha256), "sh"),
      "",
      "3. Neither: open a pull request that makes the plan what you want; its apply closes this issue.",
    );
  }
  const body = lines.join("\n");
  return body.length <= COMMENT_LIMIT
    ? body
    : `${body.slice(0, COMMENT_LIMIT - 40)}\n\n(cut to fit)`;
}

export async function openRecovery(
  ctx: Context,
  github: GitHub,
  merge: MergeOutcome,
  rows: RootOutcome[],
): Promise<void> {
  const fresh = merge.tree ? await freshChangeSets(ctx, merge) : { error: "no tree at the commit" };
  const body = recoveryBody(ctx.environment, merge, rows, fresh);
  const issue = await github.upsertIssue(
    recoveryMarker(ctx.environment),
    `Apply of ${ctx.environment} stopped at ${merge.sha.slice(0, 12)}`,
    body,
  );
  ctx.log.info(`apply of ${ctx.environment} stopped: issue #${issue}`);
  await ctx.jobSummary?.(body);
}

export async function closeRecovery(ctx: Context, github: GitHub): Promise<void> {
  await github.closeIssue(
    recoveryMarker(ctx.environment),
    `Applied ${code(ctx.environment)} up to ${code(ctx.sha.slice(0, 12))}: closing.`,
  );
}
