/** drift: plan every root; one open issue per environment while it drifts, closed when clean. */
import { COMMENT_LIMIT, JOB_SUMMARY_LIMIT, renderComment, utf8Bytes } from "./comment.ts";
import type { CommandResult, Context } from "./context.ts";
import { code } from "./markdown.ts";
import { commentInput, planRoots } from "./plan.ts";

export function driftMarker(environment: string): string {
  return `<!-- tandem:drift env=${environment} -->`;
}

export async function driftCommand(ctx: Context): Promise<CommandResult> {
  const planned = await planRoots(ctx, ctx.selected);
  const drifted = planned.filter((p) => p.changed).map((p) => p.report.name);
  const failed = planned.filter((p) => p.report.error !== undefined).map((p) => p.report.name);
  for (const p of planned) {
    const what = p.report.error !== undefined ? "plan failed" : p.changed ? "drifted" : "clean";
    ctx.log.info(`${ctx.environment}/${p.report.name}: ${what}`);
    if (p.report.error !== undefined) ctx.log.untrusted(p.report.error);
  }
  const input = commentInput(
    ctx,
    planned.map((p) => p.report),
  );
  const marker = driftMarker(ctx.environment);
  let issue: number | undefined;
  if (ctx.github && drifted.length > 0) {
    const body = `${marker}\n${renderComment(input, COMMENT_LIMIT - marker.length - 1)}`;
    issue = await ctx.github.upsertIssue(
      marker,
      `Drift in ${ctx.environment}: ${drifted.join(", ")}`,
      body,
    );
  } else if (ctx.github && failed.length === 0) {
    issue = await ctx.github.closeIssue(
      marker,
      `No drift in ${code(ctx.environment)} at ${code(ctx.sha.slice(0, 12))}: closing.`,
    );
  }
  await ctx.jobSummary?.(renderComment(input, JOB_SUMMARY_LIMIT, utf8Bytes));
  return {
    changed: drifted,
    summary: {
      command: "drift",
      environment: ctx.environment,
      sha: ctx.sha,
      drifted,
      failed,
      issue,
    },
    ...(failed.length > 0 ? { failure: `the drift plan failed for ${failed.join(", ")}` } : {}),
  };
}
