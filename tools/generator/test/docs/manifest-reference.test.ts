import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { manifestReference } from "../../src/docs/manifest-reference.ts";
import { manifestSchema } from "../../src/manifest/schema.ts";
import { REPO } from "../../src/testing.ts";

interface Row {
  key: string;
  type: string;
  default: string;
  allowed: string;
  description: string;
}

/** The table's rows, split on the cells' unescaped `|`. */
function rows(markdown: string): Row[] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const cells = line
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((cell) => cell.trim());
      expect(cells, line).toHaveLength(5);
      const [key, type, fallback, allowed, description] = cells as [
        string,
        string,
        string,
        string,
        string,
      ];
      return { key: key.slice(1, -1), type, default: fallback, allowed, description };
    });
}

const row = (markdown: string, key: string) => rows(markdown).find((r) => r.key === key);

/** Every key path a manifest spells out, with map keys written as the reference names them. */
function keyPaths(value: unknown, path: string[] = []): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [path.join(".")];
  const maps: Record<string, string> = {
    "state.buckets": "<region>",
    "networking.cidrs": "<region>",
    tags: "<key>",
  };
  const placeholder = maps[path.join(".")];
  return Object.entries(value).flatMap(([key, child]) =>
    keyPaths(child, [...path, placeholder ?? key]),
  );
}

describe("manifestReference", () => {
  const reference = manifestReference();

  it("lists every key the example manifests use, each with a type and a description", () => {
    const table = new Map(rows(reference).map((r) => [r.key, r]));
    for (const env of ["dev", "staging", "prod"]) {
      const manifest = parse(readFileSync(join(REPO, "environments", `${env}.yaml`), "utf8"));
      for (const key of keyPaths(manifest)) expect(table.has(key), `${env}: ${key}`).toBe(true);
    }
    for (const r of table.values()) {
      expect(r.type, r.key).not.toBe("");
      expect(r.description, `${r.key} needs .describe() in schema.ts`).not.toBe("");
    }
  });

  it("gives defaults as a manifest writes them, and parsing the default gives the schema's own", () => {
    expect(row(reference, "database.promotionAllowance")?.default).toBe("`5m`");
    expect(row(reference, "dns.healthCheck.interval")?.default).toBe("`30s`");
    expect(row(reference, "tier")?.default).toBe("`production`");
    expect(row(reference, "name")?.default).toBe("required");
    expect(row(reference, "dns.zoneId")?.default).toBe("none");
    const defaults = manifestSchema.shape.database.parse({});
    expect(defaults.promotionAllowance).toBe(300);
    expect(manifestSchema.shape.dns.parse({}).healthCheck.interval).toBe(30);
  });

  it("states limits and allowed values from the schema, and escapes a `|` inside a cell", () => {
    expect(row(reference, "networking.azCount")?.allowed).toBe("2–6");
    expect(row(reference, "drill.mode")?.allowed).toBe("`switchover`, `failover`");
    expect(row(reference, "dns.ttl")?.type).toBe("refused");
    expect(row(reference, "github.repository")?.allowed).toContain("\\|");
    expect(row(reference, "compute.auth.audiences")).toMatchObject({
      type: "list of string",
      allowed: "at least 1; each length 1–256",
    });
  });

  it("changes with the schema: a new key, a new default, a new description", () => {
    const changed = manifestSchema.extend({
      tier: manifestSchema.shape.tier.unwrap().default("staging").describe("Changed."),
      owner: z.string().max(40).describe("Who owns the environment."),
    });
    const after = manifestReference(changed);
    expect(after).not.toBe(reference);
    expect(row(after, "tier")).toMatchObject({ default: "`staging`", description: "Changed." });
    expect(row(after, "owner")).toEqual({
      key: "owner",
      type: "string",
      default: "required",
      allowed: "length ≤ 40",
      description: "Who owns the environment.",
    });
  });
});
