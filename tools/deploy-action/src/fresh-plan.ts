/** A root planned now, with the apply role, on the code being applied: never the reviewed file. */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { changeSetOf, type ChangeSet } from "./change-set.ts";
import type { Context } from "./context.ts";
import type { Deployment, EnvironmentDeployments } from "./deployments.ts";

export interface FreshPlan {
  root: Deployment;
  rootDir: string;
  planFile: string;
  json: string;
  changeSet: ChangeSet;
}

/** Plans `root` of `tree` now, with the apply role, into this run's scratch space. */
export async function freshPlan(
  ctx: Context,
  tree: EnvironmentDeployments,
  root: Deployment,
  lock = true,
): Promise<FreshPlan> {
  const rootDir = join(tree.dir, root.name);
  const planFile = join(mkdtempSync(join(ctx.workDir, "fresh-")), `${root.name}.tfplan`);
  await ctx.terraform.init(rootDir);
  await ctx.terraform.plan(rootDir, planFile, { lock });
  const json = await ctx.terraform.showJson(rootDir, planFile);
  return { root, rootDir, planFile, json, changeSet: changeSetOf(json) };
}
