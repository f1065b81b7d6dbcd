/** The manifest's RTO budget, as the generator's library computes it (never re-derived here). */
import { formatProblem, loadEnvironment, rtoBudget } from "@tandem/generator";
import type { BudgetView } from "./comment.ts";

export function manifestBudget(
  repoRoot: string,
  environment: string,
): BudgetView | { unavailable: string } {
  const file = `environments/${environment}.yaml`;
  const loaded = loadEnvironment(file, { root: repoRoot });
  if (!loaded.environment) {
    const first = loaded.problems[0];
    return { unavailable: first ? formatProblem(first) : `${file} is not valid` };
  }
  const { manifest, modules } = loaded.environment;
  const budget = rtoBudget(manifest, modules.dns);
  return {
    terms: budget.terms.map((t) => ({ label: t.label, seconds: t.seconds })),
    total: budget.total,
    objective: manifest.objectives.rto,
  };
}
