/**
 * unlock: removes a state lock left behind by an apply that ended without releasing it (a
 * killed runner, a session that expired mid-call), and only then: while another run of the
 * apply workflow is in progress, the lock may be its own and is left alone. Runs in the GitHub
 * environment with the apply role, the only role that may touch a lock.
 */
import type { CommandResult, Context, RootOutcome } from "./context.ts";
import { applyOrder, type Deployment } from "./deployments.ts";
import { Refusal } from "./errors.ts";
import { outcomeTable, isBad } from "./outcome.ts";
import { errorText } from "./plan.ts";

export const APPLY_WORKFLOW = "apply.yml";

async function unlockRoot(ctx: Context, root: Deployment): Promise<RootOutcome> {
  const dir = `${ctx.deployments.dir}/${root.name}`;
  await ctx.terraform.init(dir);
  const lock = await ctx.terraform.lockHolder(dir);
  if (!lock) return { name: root.name, status: "unlocked-none" };
  const held = `lock ${lock.id} (${lock.operation || "an operation"} by ${lock.who || "?"} since ${lock.created || "?"})`;
  const running = ctx.github ? await ctx.github.runningRuns(APPLY_WORKFLOW, ctx.runId) : undefined;
  if (!running)
    throw new Refusal(`${held}: unlock needs a github-token to see which apply runs are running`);
  if (running.length > 0)
    throw new Refusal(
      `${held} is left alone: apply run(s) ${running.join(", ")} are still running and may hold it; wait for them to end (or cancel them), then dispatch unlock again`,
    );
  await ctx.terraform.forceUnlock(dir, lock.id);
  return { name: root.name, status: "unlocked", reason: `removed ${held}` };
}

export async function unlockCommand(ctx: Context): Promise<CommandResult> {
  const outcomes: RootOutcome[] = [];
  for (const root of applyOrder(ctx.selected)) {
    try {
      outcomes.push(await unlockRoot(ctx, root));
    } catch (error) {
      const status = error instanceof Refusal ? "refused" : "failed";
      outcomes.push({ name: root.name, status, reason: errorText(error) });
    }
  }
  for (const o of outcomes) {
    ctx.log.info(`${ctx.environment}/${o.name}: ${o.status}`);
    if (o.reason) ctx.log.untrusted(o.reason);
  }
  await ctx.jobSummary?.(
    [`### Unlock of \`${ctx.environment}\``, "", ...outcomeTable(outcomes)].join("\n"),
  );
  const bad = outcomes.find(isBad);
  return {
    changed: outcomes.filter((o) => o.status === "unlocked").map((o) => o.name),
    summary: { command: "unlock", environment: ctx.environment, roots: outcomes },
    ...(bad ? { failure: `${bad.name} ${bad.status}: ${bad.reason?.split("\n")[0] ?? ""}` } : {}),
  };
}
