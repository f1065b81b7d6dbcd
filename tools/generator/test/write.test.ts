import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeTreeAtomically } from "../src/write.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function outputDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-write-"));
  made.push(dir);
  return dir;
}

function previousOutput(): string {
  const out = outputDir();
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
    const out = outputDir();
    writeTreeAtomically(out, new Map(), ["modules"]);
    expect(existsSync(join(out, "modules"))).toBe(true);
  });
});
