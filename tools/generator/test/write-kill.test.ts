/*
 * A publish killed at every rename it does (SIGKILL, in a child process whose node:fs
 * renameSync is wrapped) leaves dist/ on the old generation whole or the new one whole, and
 * the next publish succeeds and cleans up.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishOutput } from "../src/write.ts";

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const temporary = () => {
  const dir = mkdtempSync(join(tmpdir(), "tandem-kill-"));
  made.push(dir);
  return dir;
};

/** Publishes the files of a JSON file; `before`/`after` N: SIGKILL itself at its Nth rename. */
const CHILD = `
import { createRequire, syncBuiltinESMExports } from "node:module";
import { readFileSync } from "node:fs";
import { publishOutput } from ${JSON.stringify(join(import.meta.dirname, "../src/write.ts"))};
const [out, filesJson, when, n] = process.argv.slice(2);
const fs = createRequire(import.meta.url)("node:fs");
const rename = fs.renameSync;
let renames = 0;
fs.renameSync = (from, to) => {
  renames++;
  if (when === "before" && renames === Number(n)) process.kill(process.pid, "SIGKILL");
  rename(from, to);
  if (when === "after" && renames === Number(n)) process.kill(process.pid, "SIGKILL");
};
syncBuiltinESMExports();
const files = new Map(Object.entries(JSON.parse(readFileSync(filesJson, "utf8")))
  .map(([path, text]) => [path, new TextEncoder().encode(text)]));
publishOutput(out, files, ["modules", "environments"], { complete: true });
process.stdout.write(String(renames));
`;

let script = "";
beforeAll(async () => {
  script = join(temporary(), "publish.mjs");
  await build({
    stdin: { contents: CHILD, resolveDir: import.meta.dirname, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: script,
    logLevel: "silent",
  });
});

/** One generation's output: a root calling a module of its own generation and a released one. */
function generation(label: string): Record<string, string> {
  const root = {
    label,
    module: {
      dns: { source: "../../../modules/dns" },
      compute: { source: "../../../../modules/compute/releases/1.0.0" },
    },
  };
  return {
    "modules/dns/main.tf.json": label,
    "environments/dev/global/main.tf.json": JSON.stringify(root),
    "bootstrap/111111111111/main.tf.json": label,
  };
}

const encode = (files: Record<string, string>) =>
  new Map(Object.entries(files).map(([path, text]) => [path, new TextEncoder().encode(text)]));

/**
 * The generation a reader sees: every file, and each module source of the root resolved from
 * the root's real folder as Terraform does, must carry one label ("none" when nothing is
 * published); a mix throws.
 */
function seenGeneration(out: string): string {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "none");
  const labels = [read(join(out, "modules/dns/main.tf.json"))];
  labels.push(read(join(out, "bootstrap/111111111111/main.tf.json")));
  const rootFile = join(out, "environments/dev/global/main.tf.json");
  if (existsSync(rootFile)) {
    const root = JSON.parse(readFileSync(rootFile, "utf8")) as {
      label: string;
      module: Record<string, { source: string }>;
    };
    const real = realpathSync(join(out, "environments/dev/global"));
    labels.push(root.label, read(`${real}/${root.module.dns!.source}/main.tf.json`));
    expect(read(`${real}/${root.module.compute!.source}/main.tf.json`)).toBe("released");
  } else labels.push("none");
  const seen = [...new Set(labels)];
  if (seen.length !== 1)
    throw new Error(`a reader sees a mix of generations: ${labels.join(", ")}`);
  return seen[0]!;
}

/** A repository with a released module, and dist/ as `prepare` leaves it. */
function repository(prepare: (out: string) => void): string {
  const repo = temporary();
  mkdirSync(join(repo, "modules/compute/releases/1.0.0"), { recursive: true });
  writeFileSync(join(repo, "modules/compute/releases/1.0.0/main.tf.json"), "released");
  const out = join(repo, "dist");
  mkdirSync(out);
  prepare(out);
  return out;
}

function publishInChild(out: string, when: "count" | "before" | "after", n = 0) {
  const filesJson = join(out, "..", "new.json");
  writeFileSync(filesJson, JSON.stringify(generation("new")));
  return spawnSync(process.execPath, [script, out, filesJson, when, String(n)], {
    encoding: "utf8",
  });
}

/** dist/ as the previous tandem left it: one link per folder to `.<folder>.<id>`. */
function previousLayout(out: string): void {
  for (const [path, text] of Object.entries(generation("old"))) {
    const [folder, ...rest] = path.split("/");
    const file = join(out, `.${folder}.zz-1-abc`, ...rest);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, text);
  }
  for (const folder of ["modules", "environments", "bootstrap"])
    symlinkSync(`.${folder}.zz-1-abc`, join(out, folder));
}

const STARTS = {
  "over a published generation": (out: string) =>
    publishOutput(out, encode(generation("old")), ["modules", "environments"], { complete: true }),
  "into an empty dist/": () => {},
  "over the previous layout": previousLayout,
};

describe.each(Object.entries(STARTS))("a publish %s, killed at every rename", (_, prepare) => {
  it("leaves the old output whole or the new one whole; the next publish cleans up", () => {
    const counted = publishInChild(repository(prepare), "count");
    expect(counted.status, counted.stderr).toBe(0);
    const renames = Number(counted.stdout);
    expect(renames).toBeGreaterThan(0);
    const old = prepare === STARTS["into an empty dist/"] ? "none" : "old";
    for (let n = 1; n <= renames; n++) {
      for (const when of ["before", "after"] as const) {
        const out = repository(prepare);
        const killed = publishInChild(out, when, n);
        expect(killed.signal, `${when} rename ${n}: ${killed.stderr}`).toBe("SIGKILL");
        // the killed run's lock is left: the next publish takes it over from the dead holder
        expect(existsSync(join(out, ".publish.lock"))).toBe(true);
        // Only the last rename (dist/current) shows the new output; every other leaves the old.
        const last = when === "after" && n === renames;
        const shown = last ? "new" : old;
        expect(seenGeneration(out), `killed ${when} rename ${n} of ${renames}`).toBe(shown);
        publishOutput(out, encode(generation("next")), ["modules", "environments"], {
          complete: true,
        });
        expect(seenGeneration(out)).toBe("next");
        // the generation "next" replaced, if there was one, stays until a later publish
        const generations = shown === "none" ? 1 : 2;
        expect(readdirSync(out).sort()).toEqual([
          ...Array.from({ length: generations }, () => expect.stringMatching(/^\.gen-/)),
          "bootstrap",
          "current",
          "environments",
          "modules",
        ]);
      }
    }
  }, 60_000);
});
