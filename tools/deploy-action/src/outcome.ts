/** What an apply did, per merged commit and root, as one table wherever it is shown. */
import type { RootOutcome } from "./context.ts";
import type { EnvironmentDeployments } from "./deployments.ts";
import type { PullRequestRef } from "./github.ts";
import { code, plain } from "./markdown.ts";

export interface MergeOutcome {
  sha: string;
  pull?: PullRequestRef;
  roots: RootOutcome[];
  /** Why the merge as a whole was refused (no review), when it was. */
  refused?: string;
  tree?: EnvironmentDeployments;
}

export const isBad = (o: RootOutcome) => o.status === "refused" || o.status === "failed";

export const mergeFailed = (m: MergeOutcome) => m.refused !== undefined || m.roots.some(isBad);

const ICON: Record<RootOutcome["status"], string> = {
  applied: "✅ applied",
  refused: "⛔ refused",
  failed: "❌ failed",
  skipped: "⏭️ skipped",
  "no-changes": "no changes",
  unlocked: "🔓 unlocked",
  "unlocked-none": "not locked",
};

export function outcomeTable(outcomes: RootOutcome[]): string[] {
  return [
    "| Root | Outcome | Why |",
    "| --- | --- | --- |",
    ...outcomes.map(
      (o) =>
        `| ${code(o.name)} | ${ICON[o.status]} | ${plain((o.reason ?? "").split("\n")[0]!.slice(0, 500))} |`,
    ),
  ];
}

/** A refused merge reads as one refused row, so every reader sees one table. */
export function mergeRows(merge: MergeOutcome): RootOutcome[] {
  return merge.refused
    ? [{ name: "(review)", status: "refused", reason: merge.refused }]
    : merge.roots;
}
