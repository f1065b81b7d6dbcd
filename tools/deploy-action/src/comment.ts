/**
 * The sticky comment: a hidden marker with a JSON header, the summary table first, one folded
 * <details> per root, the RTO budget last; never over the limit it is given.
 */
import { ACTIONS, dataAtRiskWords, type PlanSummary, type ResourceChange } from "./plan-summary.ts";
import { cell, code, diffBody, duration, fenceTicks, plain, seconds } from "./markdown.ts";

/** GitHub refuses a comment body over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;
/** GitHub keeps at most 1 MiB of job summary per step. */
export const JOB_SUMMARY_LIMIT = 1024 * 1024;

export interface RootReport {
  name: string;
  region: string;
  /** The root's sha256 from deployments.json. */
  sha256: string;
  /** sha256 of the plan's change set, when the plan succeeded: what apply must see again. */
  changeSetSha256?: string;
  summary?: PlanSummary;
  /** `terraform show` text of the plan. */
  diff?: string;
  /** The error of a failed plan. */
  error?: string;
  ms: number;
  artifact: string;
}

export interface BudgetView {
  terms: { label: string; seconds: number }[];
  total: number;
  /** objectives.rto in seconds. */
  objective?: number;
}

export interface CommentInput {
  environment: string;
  headSha: string;
  tool: string;
  toolVersion: string;
  roots: RootReport[];
  budget: BudgetView | { unavailable: string };
}

export interface CommentHeader {
  head: string;
  tool: string;
  version: string;
  roots: Record<string, string>;
  /** Each planned root's change-set sha256. */
  changeSets: Record<string, string>;
}

export type Measure = (text: string) => number;
export const characters: Measure = (text) => text.length;
export const utf8Bytes: Measure = (text) => Buffer.byteLength(text, "utf8");

const MARKER_PREFIX = "<!-- tandem:plan env=";

export function markerPrefix(environment: string): string {
  return `${MARKER_PREFIX}${environment} `;
}

/** JSON that cannot end the HTML comment it sits in. */
function commentSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/--/g, "-\\u002d");
}

export function marker(input: CommentInput): string {
  const header: CommentHeader = {
    head: input.headSha,
    tool: input.tool,
    version: input.toolVersion,
    roots: Object.fromEntries(input.roots.map((r) => [r.name, r.sha256])),
    changeSets: Object.fromEntries(
      input.roots.flatMap((r) => (r.changeSetSha256 ? [[r.name, r.changeSetSha256]] : [])),
    ),
  };
  return `${markerPrefix(input.environment)}${commentSafeJson(header)} -->`;
}

/** The header of a comment this action wrote, or undefined for any other body. */
export function parseMarker(body: string, environment: string): CommentHeader | undefined {
  const prefix = markerPrefix(environment);
  if (!body.startsWith(prefix)) return undefined;
  const end = body.indexOf(" -->", prefix.length);
  if (end < 0) return undefined;
  let header: Partial<CommentHeader>;
  try {
    header = JSON.parse(body.slice(prefix.length, end)) as Partial<CommentHeader>;
  } catch {
    return undefined;
  }
  const isMap = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  return typeof header?.head === "string" && isMap(header.changeSets) && isMap(header.roots)
    ? (header as CommentHeader)
    : undefined;
}

/** How much of each root's long texts is shown; lowered until the text fits. */
interface Cut {
  diffChars: number;
  addresses: number;
}

const SIGN: Record<string, string> = {
  create: "+",
  update: "~",
  replace: "-/+",
  delete: "-",
  move: "→",
  import: "←",
};

function summaryRow(r: RootReport): string {
  const cells = [cell(r.name), cell(r.region)];
  if (!r.summary)
    return `| ${[...cells, "**failed**", "", "", "", "", seconds(r.ms)].join(" | ")} |`;
  const c = r.summary.counts;
  const risk = r.summary.dataAtRisk.length;
  return `| ${[...cells, c.create, c.update, c.replace, c.delete, risk === 0 ? "none" : `**${risk}**`, seconds(r.ms)].join(" | ")} |`;
}

function countsInWords(summary: PlanSummary): string {
  const words = ACTIONS.filter((a) => summary.counts[a] > 0).map(
    (a) => `${summary.counts[a]} to ${a}`,
  );
  return words.length === 0 ? "no changes" : words.join(", ");
}

function addressLine(c: ResourceChange): string {
  const from = c.previousAddress ? ` (from ${code(c.previousAddress)})` : "";
  return `- ${code(SIGN[c.actions[0]!] ?? "?")} ${code(c.address)} ${c.actions.join(" + ")}${from}`;
}

function cutNote(what: string, r: RootReport): string {
  return `\n> ✂️ ${what} cut to fit GitHub's size limit: the whole plan is in the artifact ${code(r.artifact)}, and in this run's job summary up to 1 MiB.\n`;
}

/** What rendering a root's details needs, computed once however many cuts are tried. */
interface Prepared {
  diff?: string;
  diffLines: number;
  diffFence: string;
  errorFence: string;
  addressLines: string[];
  fullSize?: number;
  bareSize?: number;
}

const prepared = new WeakMap<RootReport, Prepared>();

function prepare(r: RootReport): Prepared {
  let p = prepared.get(r);
  if (!p) {
    const diff = r.diff === undefined ? undefined : diffBody(r.diff);
    p = {
      ...(diff === undefined ? {} : { diff }),
      diffLines: diff === undefined ? 0 : diff.split("\n").length,
      // A cut text has no longer backtick run than the whole, so the whole's fence holds.
      diffFence: fenceTicks(diff ?? ""),
      errorFence: fenceTicks(r.error ?? ""),
      addressLines: (r.summary?.changes ?? []).map(addressLine),
    };
    prepared.set(r, p);
  }
  return p;
}

function fenced(text: string, ticks: string, info = ""): string {
  return `${ticks}${info}\n${text.endsWith("\n") ? text : `${text}\n`}${ticks}`;
}

function details(r: RootReport, cut: Cut): string {
  const p = prepare(r);
  const title = r.summary ? countsInWords(r.summary) : "plan failed";
  const parts = [`<details><summary>${plain(r.name)}: ${title}</summary>\n`];
  if (r.changeSetSha256) parts.push(`Change set sha256: ${code(r.changeSetSha256)}\n`);
  if (r.error !== undefined) {
    const text = r.error.slice(0, cut.diffChars);
    parts.push(`Error:\n\n${fenced(text, p.errorFence)}`);
    if (text.length < r.error.length)
      parts.push(cutNote(`The error (${r.error.length} characters)`, r));
  }
  const shown = p.addressLines.slice(0, cut.addresses);
  if (shown.length > 0) parts.push(shown.join("\n"));
  const hidden = p.addressLines.length - shown.length;
  if (hidden > 0) parts.push(cutNote(`${hidden} more changed addresses`, r));
  if (p.diff !== undefined) {
    const text = cutAtLine(p.diff, cut.diffChars);
    if (text.length > 0) parts.push(fenced(text, p.diffFence, "diff"));
    if (text.length < p.diff.length) {
      const kept = text === "" ? 0 : countLines(text);
      parts.push(cutNote(`${p.diffLines - kept} of ${p.diffLines} lines of the diff`, r));
    }
  }
  parts.push("\n</details>");
  return parts.join("\n");
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function cutAtLine(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = text.lastIndexOf("\n", max);
  return end <= 0 ? "" : text.slice(0, end);
}

function budgetSection(input: CommentInput): string {
  const b = input.budget;
  if ("unavailable" in b) return `**RTO budget**: unavailable (${plain(b.unavailable)}).`;
  const terms = b.terms.map((t) => `${plain(t.label)} ${duration(t.seconds)}`).join(" + ");
  const objective =
    b.objective === undefined ? "" : ` against the objective of ${duration(b.objective)}`;
  return `**RTO budget** for ${code(input.environment)}: ${terms} = **${duration(b.total)}**${objective} (a lower bound the drill measures).`;
}

function render(input: CommentInput, cuts: Cut[]): string {
  const risks = input.roots.filter((r) => r.summary && r.summary.dataAtRisk.length > 0);
  const failed = input.roots.filter((r) => r.error !== undefined);
  const lines = [
    marker(input),
    `### Plan for ${code(input.environment)} at ${code(input.headSha.slice(0, 12))} (${plain(input.tool)} ${plain(input.toolVersion)})`,
    "",
    ...risks.map(
      (r) => `> [!CAUTION]\n> **${plain(dataAtRiskWords(r.name, r.summary!.dataAtRisk))}**\n`,
    ),
    ...failed.map(
      (r) => `> [!WARNING]\n> The plan of ${code(r.name)} failed; its error is below.\n`,
    ),
    "| Root | Region | Create | Update | Replace | Delete | Data at risk | Plan time |",
    "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ...input.roots.map(summaryRow),
    "",
    ...input.roots.map((r, i) => details(r, cuts[i]!)),
    "",
    budgetSection(input),
    "",
  ];
  return lines.join("\n");
}

function fullCut(r: RootReport): Cut {
  return {
    diffChars: Math.max(r.diff?.length ?? 0, r.error?.length ?? 0) * 2,
    addresses: r.summary?.changes.length ?? 0,
  };
}

/** The largest integer in [0, high] for which `fits` holds (0 when none does). */
function largest(high: number, fits: (n: number) => boolean): number {
  let low = 0;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The most of a root's details that fits in `cap` characters: its diff goes first, then addresses. */
function fitDetails(r: RootReport, cap: number): Cut {
  const full = fullCut(r);
  const size = (cut: Cut) => details(r, cut).length;
  const p = prepare(r);
  p.fullSize ??= size(full);
  if (p.fullSize <= cap) return full;
  const bare = { ...full, diffChars: 0 };
  p.bareSize ??= size(bare);
  const room = cap - p.bareSize;
  if (room >= 0)
    return {
      ...full,
      diffChars: shrinkToFit(room, (n) => size({ ...full, diffChars: n }) - p.bareSize!),
    };
  const lines = p.addressLines;
  let keep = lines.length;
  for (let over = p.bareSize - cap; keep > 0 && over > 0;) {
    over -= lines[--keep]!.length + 1;
    if (over <= 0 && size({ diffChars: 0, addresses: keep }) > cap) over = 1; // a longer cut note
  }
  return { diffChars: 0, addresses: keep };
}

/** The largest n whose `grown(n)` (characters added by showing n) fits `room`; grown is near n. */
function shrinkToFit(room: number, grown: (n: number) => number): number {
  let n = room;
  for (let i = 0; i < 8 && n > 0; i++) {
    const over = grown(n) - room;
    if (over <= 0) return n;
    n = Math.max(0, n - over);
  }
  // Not settled (lines longer than each step): search instead.
  return largest(room, (m) => grown(m) <= room);
}

/**
 * The comment, within `limit` as `measure` counts it. When too long, every details block is held
 * to one cap, the largest the limit allows: the largest blocks shrink first, small ones stay whole.
 */
export function renderComment(
  input: CommentInput,
  limit = COMMENT_LIMIT,
  measure: Measure = characters,
): string {
  const whole = render(input, input.roots.map(fullCut));
  if (measure(whole) <= limit) return whole;
  const withCap = (cap: number) =>
    render(
      input,
      input.roots.map((r) => fitDetails(r, cap)),
    );
  const biggest = Math.max(...input.roots.map((r) => details(r, fullCut(r)).length));
  const cap = largest(biggest, (c) => measure(withCap(c)) <= limit);
  const text = withCap(cap);
  return measure(text) <= limit ? text : hardCut(text, limit, measure);
}

/** The last resort (a table of thousands of roots): cut the text itself, say so. */
function hardCut(text: string, limit: number, measure: Measure): string {
  const note = "\n\n> ✂️ Cut to fit GitHub's limit: the whole text is in this run's job summary.\n";
  let end = Math.max(0, limit - measure(note));
  let head = text.slice(0, end);
  while (measure(head) + measure(note) > limit && end > 0) {
    end = Math.floor(end * 0.95);
    head = text.slice(0, end);
  }
  return head + note;
}
