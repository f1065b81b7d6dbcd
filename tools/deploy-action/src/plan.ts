/**
 * plan: init, plan, show per root; plans run in parallel (a plan writes no state, so dependsOn
 * orders applies only, and it takes no lock), inits one at a time so the shared plugin cache
 * fills once per provider. What leaves the job is each root's change set and text plan.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifactName, writeReview } from "./artifacts.ts";
import { changeSetOf, changeSetSha256 } from "./change-set.ts";
import {
  COMMENT_LIMIT,
  JOB_SUMMARY_LIMIT,
  markerPrefix,
  renderComment,
  utf8Bytes,
  type CommentInput,
  type RootReport,
} from "./comment.ts";
import type { CommandResult, Context } from "./context.ts";
import type { Deployment } from "./deployments.ts";
import type { GitHub } from "./github.ts";
import { summarizePlan } from "./plan-summary.ts";
import { providerFetches, TerraformError, type RunResult } from "./terraform.ts";

export interface PlannedRoot {
  report: RootReport;
  changed: boolean;
  /** Directory holding the review: the change set and the text plan. */
  bundleDir?: string;
  initOutput?: string;
}

/** Runs `task`s one after another, whatever order they are asked in. */
function serializer() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

export function errorText(error: unknown): string {
  if (error instanceof TerraformError) return failureText(error.result) || error.message;
  return error instanceof Error ? error.message : String(error);
}

function failureText(result: RunResult): string {
  return (result.stderr.trim() || result.stdout.trim()).slice(-20_000);
}

async function planRoot(
  ctx: Context,
  root: Deployment,
  init: <T>(task: () => Promise<T>) => Promise<T>,
): Promise<PlannedRoot> {
  const started = Date.now();
  const dir = join(ctx.deployments.dir, root.name);
  const bundleDir = join(ctx.workDir, "reviews", root.name);
  const artifact = artifactName(ctx.environment, root.name, ctx.sha);
  const base = { name: root.name, region: root.region, sha256: root.sha256, artifact };
  try {
    const initResult = await init(() => ctx.terraform.init(dir));
    // The plan file and its JSON hold prior state and secrets: they stay in this job's scratch.
    mkdirSync(join(ctx.workDir, "plans"), { recursive: true });
    const planFile = join(ctx.workDir, "plans", `${root.name}.tfplan`);
    const { changed } = await ctx.terraform.plan(dir, planFile, { lock: false });
    const json = await ctx.terraform.showJson(dir, planFile);
    const diff = await ctx.terraform.showText(dir, planFile);
    const summary = summarizePlan(json, ctx.statefulTypes);
    const changeSet = changeSetOf(json);
    writeReview(
      bundleDir,
      { environment: ctx.environment, root: root.name, headSha: ctx.sha, changeSet },
      diff,
    );
    const report: RootReport = {
      ...base,
      changeSetSha256: changeSetSha256(changeSet),
      summary,
      diff,
      ms: Date.now() - started,
    };
    return { report, changed, bundleDir, initOutput: initResult.stdout };
  } catch (error) {
    return {
      report: { ...base, error: errorText(error), ms: Date.now() - started },
      changed: false,
    };
  }
}

/** Plans every root concurrently; results in the order given. */
export async function planRoots(ctx: Context, roots: Deployment[]): Promise<PlannedRoot[]> {
  const init = serializer();
  return Promise.all(roots.map((root) => planRoot(ctx, root, init)));
}

export function commentInput(ctx: Context, reports: RootReport[]): CommentInput {
  return {
    environment: ctx.environment,
    headSha: ctx.sha,
    tool: ctx.terraform.tool,
    toolVersion: ctx.toolVersion,
    roots: reports,
    budget: ctx.budget,
  };
}

function summaryJson(ctx: Context, planned: PlannedRoot[]) {
  return {
    command: "plan",
    environment: ctx.environment,
    headSha: ctx.sha,
    tool: ctx.terraform.tool,
    toolVersion: ctx.toolVersion,
    roots: planned.map(({ report, changed }) => ({
      name: report.name,
      status: report.error !== undefined ? "failed" : changed ? "changes" : "no-changes",
      counts: report.summary?.counts,
      dataAtRisk: report.summary?.dataAtRisk.map((c) => c.address) ?? [],
      changeSetSha256: report.changeSetSha256,
      artifact: report.error === undefined ? report.artifact : undefined,
      error: report.error,
    })),
  };
}

/** The sticky comment, unless the pull request moved on: a newer head's comment is left alone. */
async function postComment(
  ctx: Context,
  github: GitHub,
  pull: { number: number; headSha: string },
  comment: string,
): Promise<void> {
  const head = await github.pullHead(pull.number);
  if (head !== pull.headSha) {
    ctx.log.info(
      `#${pull.number} is now at ${head}, not ${pull.headSha}: its comment is left to that head's plan`,
    );
    return;
  }
  const posted = await github.upsertComment(pull.number, markerPrefix(ctx.environment), comment);
  ctx.log.info(
    `${posted.created ? "created" : "updated"} comment ${posted.id} on #${pull.number} (${comment.length} characters)`,
  );
}

export async function planCommand(ctx: Context): Promise<CommandResult> {
  const planned = await planRoots(ctx, ctx.selected);
  for (const p of planned) {
    if (p.bundleDir) await ctx.store.upload(p.report.artifact, p.bundleDir);
    const what = p.report.error !== undefined ? "failed" : p.changed ? "has changes" : "no changes";
    const fetched =
      p.initOutput === undefined
        ? ""
        : `, ${providerFetches(p.initOutput)} provider(s) fetched into the plugin cache`;
    ctx.log.info(`${ctx.environment}/${p.report.name}: ${what} (${p.report.ms} ms${fetched})`);
    if (p.report.error !== undefined) ctx.log.untrusted(p.report.error);
  }
  const input = commentInput(
    ctx,
    planned.map((p) => p.report),
  );
  const comment = renderComment(input, COMMENT_LIMIT);
  if (ctx.github && ctx.pullRequest) await postComment(ctx, ctx.github, ctx.pullRequest, comment);
  await ctx.jobSummary?.(renderComment(input, JOB_SUMMARY_LIMIT, utf8Bytes));
  const failed = planned.filter((p) => p.report.error !== undefined).map((p) => p.report.name);
  return {
    changed: planned.filter((p) => p.changed).map((p) => p.report.name),
    summary: summaryJson(ctx, planned),
    ...(failed.length > 0 ? { failure: `the plan failed for ${failed.join(", ")}` } : {}),
  };
}
