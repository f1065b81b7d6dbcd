/**
 * The change set: what a plan does, as Terraform reports it in `show -json`, and nothing else.
 * It is what a reviewer saw and what apply must see again on trusted code: addresses, actions and
 * each changed attribute before → after. Sensitive values are written only as hashes, so the
 * change set may travel as an artifact; it holds no state beyond the attributes a change touches.
 */
import { createHash } from "node:crypto";

/** Stands for a value Terraform knows only after apply. */
export const UNKNOWN = { "(known after apply)": true } as const;
const SENSITIVE = "(sensitive) sha256";

export interface AttributeChange {
  before: unknown;
  after: unknown;
}

export interface ResourceEntry {
  address: string;
  /** Terraform's own action list (["create"], ["delete", "create"], ...). */
  actions: string[];
  previousAddress?: string;
  importing?: unknown;
  /** Top-level attributes whose value changes, before → after. */
  attributes: Record<string, AttributeChange>;
}

export interface OutputEntry {
  name: string;
  actions: string[];
  before: unknown;
  after: unknown;
}

export interface ChangeSet {
  resources: ResourceEntry[];
  outputs: OutputEntry[];
}

interface JsonChange {
  actions: string[];
  before?: unknown;
  after?: unknown;
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  importing?: unknown;
}

interface JsonPlan {
  resource_changes?: {
    address: string;
    previous_address?: string;
    mode?: string;
    change: JsonChange;
  }[];
  output_changes?: Record<string, JsonChange>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON with object keys sorted at every depth: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value));
}

function sorted(value: unknown): Json {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
    );
  return (value ?? null) as Json;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

const at = (mask: unknown, key: string | number): unknown =>
  Array.isArray(mask) || isObject(mask) ? (mask as Record<string, unknown>)[key] : mask === true;

/**
 * A value with its sensitive parts replaced by their sha256 and its unknown parts by UNKNOWN.
 * The hash is salted with where the value sits, so equal secrets in two places do not match.
 */
function shown(value: unknown, sensitive: unknown, unknown: unknown, where: string): unknown {
  if (unknown === true) return UNKNOWN;
  if (sensitive === true) return { [SENSITIVE]: sha256(`${where}\n${canonicalJson(value)}`) };
  if (Array.isArray(value) || Array.isArray(unknown)) {
    const list = Array.isArray(value) ? value : [];
    const length = Math.max(list.length, Array.isArray(unknown) ? unknown.length : 0);
    return Array.from({ length }, (_, i) =>
      shown(list[i], at(sensitive, i), at(unknown, i), `${where}[${i}]`),
    );
  }
  if (isObject(value) || isObject(unknown)) {
    const object = isObject(value) ? value : {};
    const keys = new Set([
      ...Object.keys(object),
      ...(isObject(unknown) ? Object.keys(unknown) : []),
    ]);
    return Object.fromEntries(
      [...keys].map((k) => [
        k,
        shown(object[k], at(sensitive, k), at(unknown, k), `${where}.${k}`),
      ]),
    );
  }
  return value ?? null;
}

function attributeChanges(where: string, c: JsonChange): Record<string, AttributeChange> {
  const before = isObject(c.before) ? c.before : {};
  const after = isObject(c.after) ? c.after : {};
  const keys = new Set([
    ...Object.keys(before),
    ...Object.keys(after),
    ...(isObject(c.after_unknown) ? Object.keys(c.after_unknown) : []),
  ]);
  const changes: Record<string, AttributeChange> = {};
  for (const k of [...keys].sort()) {
    const from = shown(before[k], at(c.before_sensitive, k), false, `${where}.${k}`);
    const to = shown(after[k], at(c.after_sensitive, k), at(c.after_unknown, k), `${where}.${k}`);
    if (canonicalJson(from) !== canonicalJson(to)) changes[k] = { before: from, after: to };
  }
  return changes;
}

const changes = (actions: string[]) => !actions.every((a) => a === "no-op" || a === "read");

/** The change set of a `show -json` plan. */
export function changeSetOf(planJson: string): ChangeSet {
  const plan = JSON.parse(planJson) as JsonPlan;
  const resources: ResourceEntry[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === "data") continue;
    const moved = rc.previous_address !== undefined && rc.previous_address !== rc.address;
    const importing = rc.change.importing ?? undefined;
    if (!changes(rc.change.actions) && !moved && importing === undefined) continue;
    resources.push({
      address: rc.address,
      actions: rc.change.actions,
      ...(moved ? { previousAddress: rc.previous_address } : {}),
      ...(importing === undefined ? {} : { importing }),
      attributes: attributeChanges(rc.address, rc.change),
    });
  }
  const outputs = Object.entries(plan.output_changes ?? {})
    .filter(([, c]) => changes(c.actions))
    .map(([name, c]) => ({
      name,
      actions: c.actions,
      before: shown(c.before, c.before_sensitive, false, `output.${name}`),
      after: shown(c.after, c.after_sensitive, c.after_unknown, `output.${name}`),
    }));
  resources.sort((a, b) => a.address.localeCompare(b.address));
  outputs.sort((a, b) => a.name.localeCompare(b.name));
  return { resources, outputs };
}

export function changeSetSha256(changeSet: ChangeSet): string {
  return sha256(canonicalJson(changeSet));
}

export function isEmpty(changeSet: ChangeSet): boolean {
  return changeSet.resources.length === 0 && changeSet.outputs.length === 0;
}

const short = (value: unknown) => {
  const text = canonicalJson(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

function resourceDiff(reviewed: ResourceEntry, fresh: ResourceEntry): string[] {
  const lines: string[] = [];
  if (canonicalJson(reviewed.actions) !== canonicalJson(fresh.actions))
    lines.push(`  actions: reviewed ${reviewed.actions.join("+")}, now ${fresh.actions.join("+")}`);
  for (const what of ["previousAddress", "importing"] as const)
    if (canonicalJson(reviewed[what]) !== canonicalJson(fresh[what]))
      lines.push(`  ${what}: reviewed ${short(reviewed[what])}, now ${short(fresh[what])}`);
  const names = new Set([...Object.keys(reviewed.attributes), ...Object.keys(fresh.attributes)]);
  for (const name of [...names].sort()) {
    const r = reviewed.attributes[name];
    const f = fresh.attributes[name];
    if (canonicalJson(r) === canonicalJson(f)) continue;
    const text = (c?: AttributeChange) =>
      c ? `${short(c.before)} → ${short(c.after)}` : "(unchanged)";
    lines.push(`  ${name}: reviewed ${text(r)}, now ${text(f)}`);
  }
  return lines;
}

/** What differs between the reviewed change set and a fresh one, one line per difference. */
export function changeSetDiff(reviewed: ChangeSet, fresh: ChangeSet): string[] {
  const lines: string[] = [];
  const keyed = <T>(items: T[], key: (t: T) => string) => new Map(items.map((i) => [key(i), i]));
  const was = keyed(reviewed.resources, (r) => r.address);
  const now = keyed(fresh.resources, (r) => r.address);
  for (const address of [...new Set([...was.keys(), ...now.keys()])].sort()) {
    const r = was.get(address);
    const f = now.get(address);
    if (!f) lines.push(`- ${address} (${r!.actions.join("+")}): reviewed, no longer planned`);
    else if (!r) lines.push(`+ ${address} (${f.actions.join("+")}): planned now, never reviewed`);
    else {
      const inner = resourceDiff(r, f);
      if (inner.length > 0) lines.push(`~ ${address}:`, ...inner);
    }
  }
  const wasOut = keyed(reviewed.outputs, (o) => o.name);
  const nowOut = keyed(fresh.outputs, (o) => o.name);
  for (const name of [...new Set([...wasOut.keys(), ...nowOut.keys()])].sort()) {
    const r = wasOut.get(name);
    const f = nowOut.get(name);
    if (canonicalJson(r) === canonicalJson(f)) continue;
    const text = (o?: OutputEntry) => (o ? `${short(o.before)} → ${short(o.after)}` : "(none)");
    lines.push(`~ output.${name}: reviewed ${text(r)}, now ${text(f)}`);
  }
  return lines;
}

/**
 * The sha256 an operator approves for a dispatched apply: the change sets of every root with
 * changes, by root name (roots already applied have none and drop out).
 */
export function environmentSha256(changeSets: Record<string, ChangeSet>): string {
  const pending = Object.entries(changeSets).filter(([, cs]) => !isEmpty(cs));
  return sha256(canonicalJson(Object.fromEntries(pending)));
}
