// Issue 13, classes 2, 3, 7 and the YAML part of 9: what the validator reads, how fast it
// answers on big hostile files, duplicate keys in every spelling, one readable line per error.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, releasedRoot, scratch } from "@tandem/generator/testing";
import { bareRepo, tandem } from "../e2e/scratch.ts";
import { formatProblem, loadEnvironment, MAX_BYTES } from "@tandem/generator";

const STAGING = readFileSync(join(REPO, "environments/staging.yaml"), "utf8");

function problemsOf(text: string, name = "staging.yaml"): string[] {
  const dir = scratch();
  writeFileSync(join(dir, name), text);
  return loadEnvironment(name, { root: releasedRoot(), cwd: dir }).problems.map(formatProblem);
}

const hasMkfifo = spawnSync("mkfifo", ["--version"]).status === 0;

describe("only regular files are read, their size known first (class 2)", () => {
  /** A repository whose environments/staging.yaml is `make(path)`. */
  function repoWith(make: (path: string) => void): string {
    const root = bareRepo();
    mkdirSync(join(root, "environments"));
    make(join(root, "environments/staging.yaml"));
    return root;
  }

  it.each([
    ["a link to /dev/zero", (p: string) => symlinkSync("/dev/zero", p), "a character device"],
    ["a link to /dev/urandom", (p: string) => symlinkSync("/dev/urandom", p), "a character device"],
    ["a directory", (p: string) => mkdirSync(p), "a directory"],
  ])("validate and synth refuse %s at once, located, exit 1", async (_, make, kind) => {
    const root = repoWith(make);
    for (const command of ["validate", "synth"]) {
      const result = await tandem(root, [command]);
      expect(result.code, command).toBe(1);
      expect(result.stderr, command).toContain(
        `environments/staging.yaml:1:1: is ${kind}, not a regular file\n`,
      );
    }
    expect(existsSync(join(root, "dist"))).toBe(false);
  });

  it.skipIf(!hasMkfifo)(
    "refuses a FIFO without waiting for a writer (skipped without mkfifo)",
    async () => {
      const root = repoWith((p) => execFileSync("mkfifo", [p]));
      const result = await tandem(root, ["validate"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        "environments/staging.yaml:1:1: is a named pipe (FIFO), not a regular file",
      );
    },
  );

  it("refuses a file over the cap by its size, before reading it", () => {
    expect(problemsOf(`# ${"x".repeat(MAX_BYTES)}\n`)).toEqual([
      `staging.yaml:1:1: is ${MAX_BYTES + 3} bytes; a manifest is at most ${MAX_BYTES} bytes`,
    ]);
  });
});

/** A manifest padded with generated top-level lines up to (not over) `bytes`. */
function padded(line: (i: number) => string, bytes = MAX_BYTES / 4): string {
  const lines: string[] = [];
  let size = STAGING.length;
  for (let i = 0; ; i++) {
    const next = `${line(i)}\n`;
    if (size + next.length > bytes) break;
    lines.push(next);
    size += next.length;
  }
  return STAGING + lines.join("");
}

describe("validation time grows linearly (class 3)", () => {
  // A quarter of the cap: ~26,000 keys, which took about 20 s before the fix (the parser's
  // duplicate check and locating each problem were quadratic) and take well under a second
  // now. The timeout bounds them, it does not measure them; `npm run bench` times the cap.
  it("answers on a big file full of unknown keys, every one reported", () => {
    const text = padded((i) => `k${i}: 1`);
    const problems = problemsOf(text);
    const unknown = problems.filter((p) => p.includes("unknown key"));
    expect(unknown.length).toBe(text.split("\n").length - STAGING.split("\n").length);
    expect(unknown[0]).toMatch(/^staging\.yaml:\d+:1: k0: unknown key `k0`/);
  }, 20_000);

  it("answers on a big file full of duplicate keys", () => {
    const problems = problemsOf(padded(() => "name: staging"));
    expect(problems.filter((p) => p.includes("duplicate key")).length).toBeGreaterThan(15_000);
  }, 20_000);
});

describe("duplicate keys in every spelling (class 7)", () => {
  const tagged = (lines: string) => STAGING.replace(/^tags:\n/m, `tags:\n${lines}`);

  it.each([
    ["a number and a string with the same text", '  1: one\n  "1": uno\n', "tags.1"],
    ["a key and an alias of it", "  &k Team: a\n  *k : b\n", "tags.Team"],
    ["__proto__ twice", "  __proto__: a\n  __proto__: b\n", "tags.__proto__"],
    ["a quoted and a plain spelling", "  Owner: a\n  'Owner': b\n", "tags.Owner"],
  ])("reports %s as a duplicate, located", (_, lines, path) => {
    const problems = problemsOf(tagged(lines));
    expect(problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^staging\\.yaml:\\d+:3: ${path.replace(/\./g, "\\.")}: duplicate key: each key may appear only once`,
        ),
      ),
    );
  });

  it("reports a duplicate top-level key once per repetition", () => {
    const problems = problemsOf(`${STAGING}tier: staging\ntier: production\n`);
    expect(problems.filter((p) => /: tier: duplicate key/.test(p))).toHaveLength(2);
  });
});

describe("a YAML error on a file that is not YAML stays readable (class 9)", () => {
  it("prints a few short lines, not the file", () => {
    const minified = `${"function f(a){return a?{b:[1,2,3]}:{c:'x'}};".repeat(400)}\n:\n{[`;
    const problems = problemsOf(minified);
    expect(problems.length).toBeLessThanOrEqual(6);
    for (const line of problems) expect(line.length).toBeLessThan(300);
  });

  it("says how many more problems there were after the first few", () => {
    const junk = Array.from({ length: 40 }, (_, i) => `a${i}: b: c\n`).join("");
    const problems = problemsOf(junk);
    expect(problems.at(-1)).toMatch(/and \d+ more YAML problems?; is this a YAML manifest\?$/);
  });
});
