/**
 * Reading Terraform's machine-readable UI (`plan -json`, `apply -json`: one JSON event a line,
 * the same in OpenTofu) and `show -json` plans.
 */

interface UiEvent {
  type?: string;
  change?: { resource?: { addr?: string }; action?: string };
  hook?: { resource?: { addr?: string }; action?: string; elapsed_seconds?: number };
  diagnostic?: { severity?: string; summary?: string; detail?: string; address?: string };
}

export interface Diagnostic {
  readonly address: string | undefined;
  readonly message: string;
}

export interface UiLog {
  /** Managed resources the plan changes, by address, with the action. */
  readonly planned: Map<string, string>;
  /** Resources whose apply completed (creates, updates, replacements and deletions), with seconds. */
  readonly applied: Map<string, number>;
  /** Resources whose apply failed. */
  readonly errored: Set<string>;
  readonly errors: Diagnostic[];
}

const CHANGES = new Set(["create", "update", "replace", "delete"]);

export function emptyLog(): UiLog {
  return { planned: new Map(), applied: new Map(), errored: new Set(), errors: [] };
}

/** Folds one line of `-json` output into `log`; returns the event for progress reporting. */
export function readEvent(log: UiLog, line: string): UiEvent | undefined {
  let event: UiEvent;
  try {
    event = JSON.parse(line) as UiEvent;
  } catch {
    return undefined;
  }
  const address = event.change?.resource?.addr ?? event.hook?.resource?.addr;
  if (event.type === "planned_change" && address && CHANGES.has(event.change?.action ?? "")) {
    log.planned.set(address, event.change!.action!);
  }
  if (event.type === "apply_complete" && address && event.hook?.action !== "read") {
    log.applied.set(address, event.hook?.elapsed_seconds ?? 0);
  }
  if (event.type === "apply_errored" && address) log.errored.add(address);
  if (event.type === "diagnostic" && event.diagnostic?.severity === "error") {
    const { summary = "", detail = "" } = event.diagnostic;
    log.errors.push({
      address: event.diagnostic.address,
      message: [summary, detail].filter(Boolean).join(": ").replace(/\s+/g, " ").trim(),
    });
  }
  return event;
}

export interface PlannedChange {
  readonly address: string;
  readonly action: string;
  /** Top-level attributes whose value differs between the state and the plan. */
  readonly attributes: string[];
}

interface Change {
  actions: string[];
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  after_unknown?: Record<string, unknown> | null;
}

export interface ShowJson {
  resource_changes?: { address: string; mode?: string; change: Change }[];
}

/** The managed resources a `show -json` plan changes, with the attributes that differ. */
export function plannedChanges(plan: ShowJson): PlannedChange[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.mode !== "data")
    .filter((rc) => !["no-op", "read"].includes(rc.change.actions.join("-")))
    .map((rc) => ({
      address: rc.address,
      action: actionName(rc.change.actions),
      attributes: changedAttributes(rc.change),
    }));
}

function actionName(actions: string[]): string {
  const joined = actions.join("-");
  return joined === "delete-create" || joined === "create-delete" ? "replace" : joined;
}

function changedAttributes(change: Change): string[] {
  const before = change.before ?? {};
  const after = change.after ?? {};
  const unknown = change.after_unknown ?? {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...keys]
    .filter(
      (key) =>
        unknown[key] === true ||
        JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null),
    )
    .sort();
}
