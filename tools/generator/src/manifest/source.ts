import { readFileSync, statSync } from "node:fs";
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
} from "yaml";

/** A manifest is a page of YAML; anything larger is not one. */
export const MAX_BYTES = 1024 * 1024;
/** A manifest nests four levels; this much is never legitimate and keeps the parser's recursion shallow. */
const MAX_DEPTH = 32;
/** Passed to toJS: aliases may expand to at most this many nodes (defeats "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

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

/** The key path of the deepest node at `offset`, for locating YAML errors by key. */
function pathAt(
  node: unknown,
  offset: number,
  path: (string | number)[] = [],
): (string | number)[] {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = keyText(pair);
      const keyRange = (pair.key as Node | null)?.range;
      const valueRange = (pair.value as Node | null)?.range;
      if (key === undefined) continue;
      if (keyRange && offset >= keyRange[0] && offset < keyRange[1]) return [...path, key];
      if (valueRange && offset >= valueRange[0] && offset < valueRange[2])
        return pathAt(pair.value, offset, [...path, key]);
    }
  } else if (isSeq(node)) {
    const index = node.items.findIndex((item) => {
      const range = (item as Node | null)?.range;
      return range != null && offset >= range[0] && offset < range[2];
    });
    if (index >= 0) return pathAt(node.items[index], offset, [...path, index]);
  }
  return path;
}

function yamlFinding(doc: Document.Parsed, error: YAMLError): SourceFinding {
  const offset = error.pos[0];
  if (error.code === "DUPLICATE_KEY") {
    return {
      offset,
      path: pathAt(doc.contents, offset),
      message: "duplicate key: each key may appear only once in a mapping",
    };
  }
  const message =
    error.code === "MULTIPLE_DOCS"
      ? "holds more than one YAML document (a `---` separator); a manifest is exactly one"
      : `YAML ${error.name === "YAMLWarning" ? "warning" : "syntax error"}: ${error.message.split("\n")[0]!}`;
  return { offset, path: [], message };
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
    uniqueKeys: true,
    prettyErrors: false,
    logLevel: "error",
  });
  const problems = [...doc.errors, ...doc.warnings].map((e) => yamlFinding(doc, e));
  const source: Source = { text, lineCounter, doc, problems };
  if (doc.errors.some((e) => e.code !== "DUPLICATE_KEY")) return source;
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
      const pair = node.items.find((p) => keyText(p) === String(segment));
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

/** Reads and parses a manifest file; unreadable, oversized and binary files become problems. */
export function readSource(fullPath: string): Source {
  let bytes: Uint8Array;
  try {
    const size = statSync(fullPath).size;
    if (size > MAX_BYTES)
      return failed("", 0, `is ${size} bytes; a manifest is at most ${MAX_BYTES} bytes`);
    bytes = readFileSync(fullPath);
  } catch (error) {
    return failed(
      "",
      0,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  const text = decode(bytes);
  return typeof text === "string" ? parseSource(text) : text;
}
