/** What a plan does, read from `show -json`: counts, addresses and the data it puts at risk. */
/** Resource types whose delete or replace loses data (or the keys and names that reach it). */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  "aws_rds_cluster",
  "aws_rds_global_cluster",
  "aws_dynamodb_table",
  "aws_dynamodb_table_replica",
  "aws_kms_key",
  "aws_backup_vault",
  "aws_route53_zone",
  "aws_secretsmanager_secret",
  "aws_s3_bucket",
]);

export const DATA_LOSS_LABEL = "tandem:allow-data-loss";

export type Action = "create" | "update" | "replace" | "delete" | "move" | "import";

export const ACTIONS: readonly Action[] = [
  "create",
  "update",
  "replace",
  "delete",
  "move",
  "import",
];

export interface ResourceChange {
  address: string;
  type: string;
  /** What happens, in the order a reader wants it (replace before move, etc.). */
  actions: Action[];
  previousAddress?: string;
}

export interface PlanSummary {
  counts: Record<Action, number>;
  changes: ResourceChange[];
  /** Deletes and replaces of stateful types. */
  dataAtRisk: ResourceChange[];
}

interface JsonResourceChange {
  address: string;
  previous_address?: string;
  type: string;
  mode?: string;
  change: {
    actions: string[];
    importing?: unknown;
  };
}

interface JsonPlan {
  resource_changes?: JsonResourceChange[];
}

function mainAction(actions: string[]): Action | undefined {
  const set = new Set(actions);
  if (set.has("delete") && set.has("create")) return "replace";
  if (set.has("create")) return "create";
  if (set.has("delete")) return "delete";
  if (set.has("update")) return "update";
  return undefined; // no-op, read
}

function classify(rc: JsonResourceChange): ResourceChange | undefined {
  if (rc.mode === "data") return undefined;
  const actions: Action[] = [];
  const main = mainAction(rc.change.actions);
  if (main) actions.push(main);
  const moved = rc.previous_address !== undefined && rc.previous_address !== rc.address;
  if (moved) actions.push("move");
  if (rc.change.importing !== undefined && rc.change.importing !== null) actions.push("import");
  if (actions.length === 0) return undefined;
  return {
    address: rc.address,
    type: rc.type,
    actions,
    ...(moved ? { previousAddress: rc.previous_address } : {}),
  };
}

export function emptyCounts(): Record<Action, number> {
  return { create: 0, update: 0, replace: 0, delete: 0, move: 0, import: 0 };
}

/** Summarizes a `show -json` plan; `statefulTypes` is fixed in production, widened only in tests. */
export function summarizePlan(
  planJson: string,
  statefulTypes: ReadonlySet<string> = STATEFUL_TYPES,
): PlanSummary {
  const plan = JSON.parse(planJson) as JsonPlan;
  const changes = (plan.resource_changes ?? []).flatMap((rc) => classify(rc) ?? []);
  const counts = emptyCounts();
  for (const change of changes) for (const action of change.actions) counts[action] += 1;
  const dataAtRisk = changes.filter(
    (c) =>
      statefulTypes.has(c.type) && (c.actions.includes("delete") || c.actions.includes("replace")),
  );
  return { counts, changes, dataAtRisk };
}

/** The data at risk in words, said before anything else. */
export function dataAtRiskWords(root: string, risks: ResourceChange[]): string {
  const verb = (c: ResourceChange) => (c.actions.includes("replace") ? "replaces" : "deletes");
  const items = risks.map((c) => `${verb(c)} ${c.address}`);
  return `Data at risk in ${root}: this plan ${items.join(", ")}. Applying it needs the label \`${DATA_LOSS_LABEL}\`.`;
}
