import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDocument, visit } from "yaml";
import { loadEnvironment } from "../../src/manifest/index.ts";
import { REPO, releaseRoot, scratch } from "../../src/testing.ts";

const NAMES = ["dev", "staging", "prod"] as const;
const EXAMPLES = Object.fromEntries(
  NAMES.map((n) => [n, readFileSync(join(REPO, "environments", `${n}.yaml`))]),
);

const scalar = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    "workspace",
    "1.0.0",
    "^9.0.0",
    "us-east-1",
    "10.0.0.0/8",
    "0 6 * * 1",
    "cron(0 3 * * ? *)",
    "1m",
    "db.t3.micro",
    "*x",
    "&a",
    "{",
    "- -",
  ),
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete-key" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("change-scalar" as const), pick: fc.nat(), value: scalar }),
  fc.record({
    kind: fc.constant("insert-key" as const),
    pick: fc.nat(),
    key: fc.string(),
    value: scalar,
  }),
  fc.record({ kind: fc.constant("duplicate-line" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("random-bytes" as const),
    pick: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  }),
  // Valid UTF-8 garbage reaches the YAML parser instead of stopping at the encoding check.
  fc.record({
    kind: fc.constant("random-bytes" as const),
    pick: fc.nat(),
    bytes: fc.string({ unit: "grapheme", maxLength: 12 }).map((t) => Buffer.from(t)),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** Edits the YAML tree (key deletion, scalar change, key insertion); a no-op on text that no longer parses. */
function editTree(
  bytes: Buffer,
  m: Extract<Mutation, { kind: "delete-key" | "change-scalar" | "insert-key" }>,
): Buffer {
  const doc = parseDocument(bytes.toString("utf8"));
  if (doc.errors.length > 0) return bytes;
  const targets: unknown[] = [];
  visit(doc, {
    Pair: (_, pair) => void (m.kind === "delete-key" && targets.push(pair)),
    Scalar: (_, node) => void (m.kind === "change-scalar" && targets.push(node)),
    Map: (_, map) => void (m.kind === "insert-key" && targets.push(map)),
  });
  const target = targets[m.pick % targets.length];
  visit(doc, {
    Pair: (_, pair) => (pair === target ? visit.REMOVE : undefined),
    Scalar: (_, node) =>
      void (node === target && m.kind === "change-scalar" && (node.value = m.value)),
    Map: (_, map) => void (map === target && m.kind === "insert-key" && map.set(m.key, m.value)),
  });
  return Buffer.from(doc.toString());
}

function mutate(bytes: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case "duplicate-line": {
      const lines = bytes.toString("utf8").split("\n");
      const i = m.pick % lines.length;
      return Buffer.from([...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)].join("\n"));
    }
    case "truncate":
      return bytes.subarray(0, m.pick % (bytes.length + 1));
    case "random-bytes": {
      const at = m.pick % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    }
    default:
      return editTree(bytes, m);
  }
}

describe("random mutations of the example manifests", () => {
  const root = releaseRoot();
  const dir = scratch();

  it("never crash: the result is valid, or clean problems located inside the file", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (name, mutations) => {
          const bytes = mutations.reduce(mutate, EXAMPLES[name]!);
          writeFileSync(join(dir, `${name}.yaml`), bytes);
          const lines = new TextDecoder().decode(bytes).split("\n");

          const { environment, problems } = loadEnvironment(`${name}.yaml`, { root, cwd: dir });

          expect(environment === undefined).toBe(problems.length > 0);
          for (const p of problems) {
            expect(p.file).toBe(`${name}.yaml`);
            expect(p.line).toBeGreaterThanOrEqual(1);
            expect(p.line).toBeLessThanOrEqual(lines.length);
            expect(p.col).toBeGreaterThanOrEqual(1);
            expect(p.col).toBeLessThanOrEqual(lines[p.line - 1]!.length + 1);
            expect(p.message).toMatch(/^[^\n]+$/);
            expect(p.message).not.toMatch(/internal error/);
          }
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);
});
