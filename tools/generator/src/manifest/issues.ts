import type { z } from "zod";
import { manifestSchema } from "./schema.ts";
import { didYouMean } from "./suggest.ts";

/** A problem found in the manifest's data, before it is given a line and column. */
export interface Finding {
  path: (string | number)[];
  message: string;
  /** Point at the key itself (unknown or invalid keys) rather than its value. */
  at?: "key";
}

function describe(input: unknown): string {
  if (input === null) return "an empty value";
  if (Array.isArray(input)) return "a list";
  if (input instanceof Uint8Array) return "binary data";
  if (typeof input === "object") return "a mapping";
  if (typeof input === "string")
    return `the text \`${input.length > 40 ? `${input.slice(0, 40)}…` : input}\``;
  return `the ${typeof input} ${String(input)}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping",
  record: "a mapping",
  array: "a list",
};

function invalidType(expected: string, input: unknown): string {
  if (input === undefined) return "is required";
  const want = EXPECTED[expected] ?? expected;
  if (expected === "string" && (typeof input === "number" || typeof input === "boolean")) {
    return `must be a string, not ${describe(input)}: YAML read the unquoted value as a ${typeof input}, so put it in quotes`;
  }
  if (expected === "int" && typeof input === "number")
    return `must be a whole number, not ${input}`;
  if (expected === "number" && typeof input === "number") return "must be a finite number";
  if (
    expected === "number" &&
    typeof input === "string" &&
    input.trim() !== "" &&
    !Number.isNaN(Number(input))
  ) {
    return `must be ${want}, not ${describe(input)}: remove the quotes`;
  }
  return `must be ${want}, not ${describe(input)}`;
}

function bound(
  issue: { origin: string; inclusive?: boolean },
  limit: unknown,
  dir: "least" | "most",
): string {
  const n = Number(limit);
  if (issue.origin === "string")
    return dir === "least" && n === 1 ? "must not be empty" : `must have at ${dir} ${n} characters`;
  if (issue.origin === "array") return `must list at ${dir} ${n} item${n === 1 ? "" : "s"}`;
  if (issue.inclusive === false) return `must be ${dir === "least" ? "greater" : "less"} than ${n}`;
  return `must be at ${dir} ${n}`;
}

/** Parse-level error map: plain-language messages where the schema gives none of its own. */
export function friendlyError(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return invalidType(issue.expected, issue.input);
    case "invalid_value": {
      if (issue.input === undefined) return "is required";
      const values = issue.values.map(String);
      const hint = typeof issue.input === "string" ? didYouMean(issue.input, values) : "";
      return `must be one of ${values.map((v) => `\`${v}\``).join(", ")}, not ${describe(issue.input)}${hint}`;
    }
    case "too_small":
      return bound(issue, issue.minimum, "least");
    case "too_big":
      return bound(issue, issue.maximum, "most");
    default:
      return undefined;
  }
}

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  valueType?: Schema;
  element?: Schema;
}
interface Schema {
  _zod: { def: Def };
}

function unwrap(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  while (s) {
    const def = s._zod.def;
    const next = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (!next) return s;
    s = next;
  }
  return undefined;
}

const known = new Map<string, string[]>();

/** The keys the schema knows at `path` (for "did you mean" on unknown keys). */
export function knownKeys(path: readonly PropertyKey[]): string[] {
  const key = JSON.stringify(path.map(String));
  let keys = known.get(key);
  if (!keys) known.set(key, (keys = schemaKeys(path)));
  return keys;
}

function schemaKeys(path: readonly PropertyKey[]): string[] {
  let s = unwrap(manifestSchema as unknown as Schema);
  for (const segment of path) {
    const def = s?._zod.def;
    s = unwrap(def?.shape?.[String(segment)] ?? def?.valueType ?? def?.element);
  }
  return Object.keys(s?._zod.def.shape ?? {});
}

function unknownKey(path: (string | number)[], key: string): Finding {
  const known = knownKeys(path);
  const hint = didYouMean(key, known) || `; expected one of ${known.join(", ")}`;
  return { path: [...path, key], message: `unknown key \`${key}\`${hint}`, at: "key" };
}

/** zod issues as findings: one per unknown key, keys located at the key itself. */
export function findings(issues: readonly z.core.$ZodIssue[]): Finding[] {
  return issues.flatMap((issue): Finding[] => {
    const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownKey(path, key));
    return [{ path, message: issue.message }];
  });
}
