import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeTreeAtomically } from "../src/write.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function previousOutput(): string {
  const out = mkdtempSync(join(tmpdir(), "tandem-write-"));
  mkdirSync(join(out, "environments/dev"), { recursive: true });
  writeFileSync(join(out, "environments/dev/old.json"), "old");
  mkdirSync(join(out, "environments/prod"), { recursive: true });
  writeFileSync(join(out, "environments/prod/keep.json"), "prod");
  return out;
}

describe("writeTreeAtomically", () => {
  it("replaces only the target folders and leaves no staging behind", () => {
    const out = previousOutput();
    writeTreeAtomically(out, new Map([["environments/dev/new.json", bytes("new")]]), [
      "environments/dev",
    ]);
    expect(readdirSync(join(out, "environments/dev"))).toEqual(["new.json"]);
    expect(readFileSync(join(out, "environments/prod/keep.json"), "utf8")).toBe("prod");
    expect(readdirSync(out).filter((name) => name.startsWith(".staging"))).toEqual([]);
  });

  it("leaves the previous output intact when writing fails part-way", () => {
    const out = previousOutput();
    const files = new Map([
      ["environments/dev/a.json", bytes("a")],
      ["environments/dev/a.json/b.json", bytes("cannot: a.json is a file")],
    ]);
    expect(() => writeTreeAtomically(out, files, ["environments/dev"])).toThrow();
    expect(readdirSync(join(out, "environments/dev"))).toEqual(["old.json"]);
    expect(readdirSync(out).filter((name) => name.startsWith(".staging"))).toEqual([]);
  });

  it("creates a target that did not exist, even when it has no files", () => {
    const out = mkdtempSync(join(tmpdir(), "tandem-write-"));
    writeTreeAtomically(out, new Map(), ["modules"]);
    expect(existsSync(join(out, "modules"))).toBe(true);
  });
});
