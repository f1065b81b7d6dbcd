/**
 * plan: init, plan, show per root; plans run in parallel (a plan writes no state, so dependsOn
 * orders applies only), inits one at a time so the shared plugin cache fills once per provider.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { artifactName, PLAN_FILE, PLAN_JSON, sha256File, writeBundle } from "./artifacts.ts";
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
import { summarizePlan } from "./plan-summary.ts";
import { providerFetches, TerraformError, type RunResult } from "./terraform.ts";

export interface PlannedRoot {
  report: RootReport;
  changed: boolean;
  /** Directory holding plan.tfplan, plan.json and manifest.json. */
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
  const bundleDir = join(ctx.workDir, "plans", root.name);
  mkdirSync(bundleDir, { recursive: true });
  const artifact = artifactName(ctx.environment, root.name, ctx.sha);
  const base = { name: root.name, region: root.region, sha256: root.sha256, artifact };
  try {
    const initResult = await init(() => ctx.terraform.init(dir));
    const planFile = join(bundleDir, PLAN_FILE);
    const { changed } = await ctx.terraform.plan(dir, planFile);
    const json = await ctx.terraform.showJson(dir, planFile);
    writeFileSync(join(bundleDir, PLAN_JSON), json);
    const diff = await ctx.terraform.showText(dir, planFile);
    const summary = summarizePlan(json, ctx.statefulTypes);
    writeBundle(bundleDir, {
      environment: ctx.environment,
      root: root.name,
      headSha: ctx.sha,
      rootSha256: root.sha256,
      tool: ctx.terraform.tool,
      toolVersion: ctx.toolVersion,
      summary,
    });
    const report: RootReport = {
      ...base,
      planSha256: sha256File(planFile),
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
      planSha256: report.planSha256,
      artifact: report.error === undefined ? report.artifact : undefined,
      error: report.error,
    })),
  };
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
  if (ctx.github && ctx.pullRequest) {
    const posted = await ctx.github.upsertComment(
      ctx.pullRequest.number,
      markerPrefix(ctx.environment),
      comment,
    );
    ctx.log.info(
      `${posted.created ? "created" : "updated"} comment ${posted.id} on #${ctx.pullRequest.number} (${comment.length} characters)`,
    );
  }
  await ctx.jobSummary?.(renderComment(input, JOB_SUMMARY_LIMIT, utf8Bytes));
  const failed = planned.filter((p) => p.report.error !== undefined).map((p) => p.report.name);
  return {
    changed: planned.filter((p) => p.changed).map((p) => p.report.name),
    summary: summaryJson(ctx, planned),
    ...(failed.length > 0 ? { failure: `the plan failed for ${failed.join(", ")}` } : {}),
  };
}
