/**
 * apply: the merge commit's pull request, the plans reviewed on its last head, applied in
 * dependsOn order; the first refusal or failure stops the run and leaves later roots untouched.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  artifactName,
  PLAN_FILE,
  PLAN_JSON,
  readBundle,
  TamperedBundle,
  type PlanManifest,
} from "./artifacts.ts";
import { COMMENT_LIMIT, markerPrefix, parseMarker, type CommentHeader } from "./comment.ts";
import type { CommandResult, Context, RootOutcome } from "./context.ts";
import { applyOrder, type Deployment } from "./deployments.ts";
import type { PullRequestRef } from "./github.ts";
import { code, plain } from "./markdown.ts";
import { changeKey, DATA_LOSS_LABEL, summarizePlan } from "./plan-summary.ts";
import { errorText } from "./plan.ts";
import { TerraformError } from "./terraform.ts";

class Refusal extends Error {}

const STALE = /Saved plan is stale/;

interface Review {
  pull: PullRequestRef;
  /** The sticky comment's header, when the plan run posted one. */
  header?: CommentHeader;
}

async function reviewedBundle(
  ctx: Context,
  root: Deployment,
  review: Review,
): Promise<{ dir: string; manifest: PlanManifest }> {
  const head = review.pull.headSha;
  const name = artifactName(ctx.environment, root.name, head);
  const dir = join(ctx.workDir, "reviewed", root.name);
  if (!(await ctx.store.download(name, dir)))
    throw new Refusal(
      `no plan was reviewed for ${root.name} on the pull request's last head ${head} (artifact ${name} not found)`,
    );
  let manifest: PlanManifest;
  try {
    manifest = readBundle(dir);
  } catch (error) {
    if (error instanceof TamperedBundle) throw new Refusal(error.message);
    throw error;
  }
  checkReviewed(ctx, root, review, manifest, dir);
  return { dir, manifest };
}

function checkReviewed(
  ctx: Context,
  root: Deployment,
  review: Review,
  m: PlanManifest,
  dir: string,
): void {
  const head = review.pull.headSha;
  if (m.headSha !== head)
    throw new Refusal(
      `the plan came from head ${m.headSha}, not the pull request's last head ${head}`,
    );
  if (m.environment !== ctx.environment || m.root !== root.name)
    throw new Refusal(
      `the artifact holds the plan of ${m.environment}/${m.root}, not ${ctx.environment}/${root.name}`,
    );
  if (m.rootSha256 !== root.sha256)
    throw new Refusal(
      `${root.name} changed since review: the merged root's sha256 is ${root.sha256}, the reviewed one ${m.rootSha256}`,
    );
  const plans = review.header?.plans;
  const shown = plans?.[root.name];
  if (plans && shown !== m.files[PLAN_FILE])
    throw new Refusal(
      `the plan's sha256 ${m.files[PLAN_FILE]} is not the ${shown ?? "(none)"} the pull request's comment showed`,
    );
  const summary = summarizePlan(readFileSync(join(dir, PLAN_JSON), "utf8"), ctx.statefulTypes);
  if (summary.dataAtRisk.length > 0 && !review.pull.labels.includes(DATA_LOSS_LABEL))
    throw new Refusal(
      `data at risk (${summary.dataAtRisk.map((c) => `${c.actions[0]} ${c.address}`).join(", ")}) and the pull request lacks the label ${DATA_LOSS_LABEL}`,
    );
}

/** Applies the reviewed plan; a stale one is re-planned only when allowed and unchanged. */
async function applyRoot(ctx: Context, root: Deployment, review: Review): Promise<RootOutcome> {
  const { dir: bundle, manifest } = await reviewedBundle(ctx, root, review);
  const rootDir = join(ctx.deployments.dir, root.name);
  await ctx.terraform.init(rootDir);
  try {
    await ctx.terraform.apply(rootDir, join(bundle, PLAN_FILE));
    return { name: root.name, status: "applied" };
  } catch (error) {
    if (!(error instanceof TerraformError) || !STALE.test(error.result.stderr)) throw error;
    if (!ctx.allowReplan)
      throw new Refusal(
        "Terraform calls the reviewed plan stale (the state changed since it was made); re-run the plan, or apply with allow-replan",
      );
  }
  return replanAndApply(ctx, root, rootDir, manifest);
}

async function replanAndApply(
  ctx: Context,
  root: Deployment,
  rootDir: string,
  reviewed: PlanManifest,
): Promise<RootOutcome> {
  const planFile = join(ctx.workDir, "replan", `${root.name}.tfplan`);
  mkdirSync(join(ctx.workDir, "replan"), { recursive: true });
  await ctx.terraform.plan(rootDir, planFile);
  const fresh = summarizePlan(await ctx.terraform.showJson(rootDir, planFile), ctx.statefulTypes);
  if (changeKey(fresh) !== changeKey(reviewed.summary))
    throw new Refusal(
      "the reviewed plan is stale and a re-plan's resource changes differ from the reviewed ones",
    );
  await ctx.terraform.apply(rootDir, planFile);
  return {
    name: root.name,
    status: "applied",
    reason: "re-planned (the reviewed plan was stale; the changes were equal)",
  };
}

async function findReview(ctx: Context): Promise<Review> {
  if (!ctx.github)
    throw new Refusal("apply needs a github-token to find the merge commit's pull request");
  const pull = await ctx.github.pullForCommit(ctx.sha);
  if (!pull)
    throw new Refusal(`commit ${ctx.sha} belongs to no pull request: nothing was reviewed`);
  const comment = await ctx.github.findComment(pull.number, markerPrefix(ctx.environment));
  const header = comment ? parseMarker(comment.body, ctx.environment) : undefined;
  return header ? { pull, header } : { pull };
}

async function applyInOrder(ctx: Context, review: Review): Promise<RootOutcome[]> {
  const outcomes: RootOutcome[] = [];
  let stopped = false;
  for (const root of applyOrder(ctx.selected)) {
    if (stopped) {
      outcomes.push({
        name: root.name,
        status: "skipped",
        reason: "not applied: an earlier root did not apply",
      });
      continue;
    }
    try {
      outcomes.push(await applyRoot(ctx, root, review));
    } catch (error) {
      stopped = true;
      const status = error instanceof Refusal ? "refused" : "failed";
      outcomes.push({ name: root.name, status, reason: errorText(error) });
    }
  }
  return outcomes;
}

const ICON: Record<RootOutcome["status"], string> = {
  applied: "✅ applied",
  refused: "⛔ refused",
  failed: "❌ failed",
  skipped: "⏭️ skipped",
  "no-changes": "no changes",
};

export function applySection(ctx: Context, outcomes: RootOutcome[]): string {
  const rows = outcomes.map(
    (o) =>
      `| ${code(o.name)} | ${ICON[o.status]} | ${plain((o.reason ?? "").split("\n")[0]!.slice(0, 500))} |`,
  );
  return [
    APPLY_START,
    `### Apply of ${code(ctx.environment)} at ${code(ctx.sha.slice(0, 12))}`,
    "",
    "| Root | Outcome | Why |",
    "| --- | --- | --- |",
    ...rows,
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

export async function applyCommand(ctx: Context): Promise<CommandResult> {
  let review: Review;
  try {
    review = await findReview(ctx);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return {
      changed: [],
      summary: {
        command: "apply",
        environment: ctx.environment,
        sha: ctx.sha,
        refused: error.message,
      },
      failure: error.message,
    };
  }
  const outcomes = await applyInOrder(ctx, review);
  for (const o of outcomes) {
    ctx.log.info(`${ctx.environment}/${o.name}: ${o.status}`);
    if (o.reason) ctx.log.untrusted(o.reason);
  }
  const section = applySection(ctx, outcomes);
  const prefix = markerPrefix(ctx.environment);
  const existing = await ctx.github!.findComment(review.pull.number, prefix);
  const body = withApplySection(existing?.body ?? `${prefix}{} -->`, section);
  await ctx.github!.upsertComment(review.pull.number, prefix, body);
  await ctx.jobSummary?.(section);
  const bad = outcomes.filter((o) => o.status === "refused" || o.status === "failed");
  return {
    changed: outcomes.filter((o) => o.status === "applied").map((o) => o.name),
    summary: {
      command: "apply",
      environment: ctx.environment,
      sha: ctx.sha,
      pullRequest: review.pull.number,
      headSha: review.pull.headSha,
      roots: outcomes,
    },
    ...(bad.length > 0
      ? { failure: `${bad[0]!.name} ${bad[0]!.status}: ${bad[0]!.reason?.split("\n")[0] ?? ""}` }
      : {}),
  };
}
