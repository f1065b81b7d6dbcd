import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
  type YAMLMap,
} from "yaml";
import { readRegularFile } from "../files.ts";

/** A manifest is a page of YAML; anything larger is not one. */
export const MAX_BYTES = 1024 * 1024;
/** A manifest nests four levels; this much is never legitimate and keeps the parser's recursion shallow. */
const MAX_DEPTH = 32;
/** Passed to toJS: aliases may expand to at most this many nodes (defeats "billion laughs"). */
const MAX_ALIAS_COUNT = 100;
/** A YAML error quotes at most this much of the message, so a minified file stays one line. */
const MAX_MESSAGE = 160;
/** Syntax errors reported per file: past the first few, a file is simply not YAML. */
const MAX_SYNTAX_ERRORS = 5;

export interface SourceFinding {
  offset: number;
  path: (string | number)[];
  message: string;
}

export interface Source {
  text: string;
  lineCounter: LineCounter;
  doc?: Document.Parsed;
  /** The document as plain data; absent when a problem makes the document untrustworthy. */
  data?: Record<string, unknown>;
  problems: SourceFinding[];
}

function countLines(text: string): LineCounter {
  const counter = new LineCounter();
  counter.addNewLine(0);
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) counter.addNewLine(i + 1);
  return counter;
}

export const failed = (text: string, offset: number, message: string): Source => ({
  text,
  lineCounter: countLines(text),
  problems: [{ offset, path: [], message }],
});

/** Decodes UTF-8 text, refusing binary content: located at the first offending character. */
function decode(bytes: Uint8Array): Source | string {
  const loose = new TextDecoder("utf-8").decode(bytes);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const at = new TextDecoder("utf-8").decode(bytes.subarray(0, nul)).length;
    return failed(loose, at, "is a binary file (it contains a NUL byte), not a YAML manifest");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return failed(loose, Math.max(0, loose.indexOf("\uFFFD")), "is not valid UTF-8 text");
  }
}

/** Offset where flow brackets or leading indentation nest deeper than any manifest could. */
function tooDeep(text: string): number | undefined {
  const maxLead = 4 * MAX_DEPTH;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (
      (i === 0 || text[i - 1] === "\n") &&
      /^[ \t?:-]*/.exec(text.slice(i, i + maxLead))![0].length >= maxLead
    ) {
      return i;
    }
    const c = text[i];
    if (c === "[" || c === "{") depth++;
    else if ((c === "]" || c === "}") && depth > 0) depth--;
    if (depth > MAX_DEPTH) return i;
  }
  return undefined;
}

function keyText(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function shorten(line: string): string {
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
}

function yamlFinding(error: YAMLError): SourceFinding {
  const offset = error.pos[0];
  const message =
    error.code === "MULTIPLE_DOCS"
      ? "holds more than one YAML document (a `---` separator); a manifest is exactly one"
      : `YAML ${error.name === "YAMLWarning" ? "warning" : "syntax error"}: ${shorten(error.message.split("\n")[0]!)}`;
  return { offset, path: [], message };
}

/** The first few YAML errors, then one line saying how many more there were. */
function yamlFindings(errors: readonly YAMLError[]): SourceFinding[] {
  const shown = errors.slice(0, MAX_SYNTAX_ERRORS).map(yamlFinding);
  if (errors.length > MAX_SYNTAX_ERRORS) {
    const rest = errors.length - MAX_SYNTAX_ERRORS;
    shown.push({
      offset: errors[MAX_SYNTAX_ERRORS]!.pos[0],
      path: [],
      message: `and ${rest} more YAML problem${rest === 1 ? "" : "s"}; is this a YAML manifest?`,
    });
  }
  return shown;
}

/** The key path of `node` from the visitor's ancestors (each step O(1) but a list index). */
function keyPath(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const chain = [...ancestors, node];
  const path: (string | number)[] = [];
  chain.forEach((step, i) => {
    if (isPair(step) && keyText(step) !== undefined) path.push(keyText(step)!);
    else if (isSeq(step)) path.push(step.items.indexOf(chain[i + 1] as never));
  });
  return path;
}

/** A mapping key as JavaScript sees it after parsing: aliases resolved, `1` and `"1"` alike. */
function keyIdentity(doc: Document.Parsed, key: unknown): string | undefined {
  const node = isAlias(key) ? key.resolve(doc) : key;
  if (isScalar(node)) return String(node.value);
  return node == null ? "" : undefined; // a complex key is reported by the schema
}

/**
 * Keys repeated in a mapping, in every spelling YAML allows: the parser's own check compares
 * scalar values (so `1` and `"1"`, or a key and an alias of it, slip through) and is quadratic
 * in the number of keys; this one is a set per mapping.
 */
function duplicateFindings(doc: Document.Parsed): SourceFinding[] {
  const found: SourceFinding[] = [];
  visit(doc, {
    Map(_, map, ancestors) {
      let where: (string | number)[] | undefined;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const identity = keyIdentity(doc, pair.key);
        if (identity === undefined) continue;
        if (seen.has(identity)) {
          const offset = (pair.key as Node | null)?.range?.[0] ?? map.range?.[0] ?? 0;
          where ??= keyPath(ancestors, map);
          found.push({
            offset,
            path: [...where, identity],
            message: "duplicate key: each key may appear only once in a mapping",
          });
        }
        seen.add(identity);
      }
    },
  });
  return found;
}

function aliasFindings(doc: Document.Parsed): SourceFinding[] {
  const found: SourceFinding[] = [];
  visit(doc, {
    Alias(_, alias) {
      if (!alias.resolve(doc)) {
        found.push({
          offset: alias.range?.[0] ?? 0,
          path: [],
          message: `alias \`*${alias.source}\` has no anchor \`&${alias.source}\` before it`,
        });
      }
    },
  });
  return found;
}

function firstAlias(doc: Document.Parsed): number {
  let offset = 0;
  visit(doc, {
    Alias(_, alias) {
      offset = alias.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

/** Parses manifest text: every YAML problem, and the data when the document can be trusted. */
export function parseSource(text: string): Source {
  const deep = tooDeep(text);
  if (deep !== undefined)
    return failed(text, deep, `nests deeper than ${MAX_DEPTH} levels, which no manifest needs`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: false, // duplicateFindings checks them
    prettyErrors: false,
    logLevel: "error",
  });
  const problems = yamlFindings([...doc.errors, ...doc.warnings]);
  const source: Source = { text, lineCounter, doc, problems };
  if (doc.errors.length > 0) return source;
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    problems.push({
      offset: 0,
      path: [],
      message: "is empty: a manifest is a mapping of keys such as name, account and regions",
    });
    return source;
  }
  if (!isMap(contents)) {
    const kind = isSeq(contents) ? "a list" : isAlias(contents) ? "an alias" : "a single value";
    problems.push({
      offset: contents.range?.[0] ?? 0,
      path: [],
      message: `must be a mapping of keys such as name, account and regions, not ${kind}`,
    });
    return source;
  }
  const unresolved = aliasFindings(doc);
  if (unresolved.length > 0) return { ...source, problems: [...problems, ...unresolved] };
  problems.push(...duplicateFindings(doc));
  try {
    source.data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>;
  } catch {
    // toJS throws only when aliases expand past maxAliasCount (unresolved ones are caught above).
    problems.push({
      offset: firstAlias(doc),
      path: [],
      message: `aliases expand to more than ${MAX_ALIAS_COUNT} nodes; rejected as a possible alias bomb`,
    });
  }
  return source;
}

const start = (node: unknown): number | undefined => (node as Node | null)?.range?.[0];

/** Each mapping's pairs by key (the first of duplicates), built once: locating is O(1) a step. */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items as Pair[]) {
      const text = keyText(pair);
      if (text !== undefined && !index.has(text)) index.set(text, pair);
    }
    pairIndex.set(map, index);
  }
  return index.get(key);
}

/**
 * Where a finding about `path` points: the value (or, with `at: "key"`, the key); for a missing
 * key, the key of its nearest existing parent.
 */
export function locate(
  doc: Document.Parsed,
  path: readonly (string | number)[],
  at?: "key",
): number {
  let node: unknown = doc.contents;
  let here = start(node) ?? 0;
  for (const [i, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = pairOf(node, String(segment));
      if (!pair) return here;
      here = start(pair.key) ?? here;
      if (at === "key" && i === path.length - 1) return here;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment] != null) {
      node = node.items[segment];
      here = start(node) ?? here;
    } else {
      return here;
    }
  }
  return start(node) ?? here;
}

/** Reads and parses a manifest file; unreadable, oversized, binary and special files become problems. */
export function readSource(fullPath: string): Source {
  const read = readRegularFile(fullPath, MAX_BYTES, "manifest");
  if ("problem" in read) return failed("", 0, read.problem);
  const text = decode(read.bytes);
  return typeof text === "string" ? parseSource(text) : text;
}
