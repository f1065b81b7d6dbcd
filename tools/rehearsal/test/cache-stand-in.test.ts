/**
 * The actions/cache stand-in, run as act runs a node action's main and post: inputs as
 * INPUT_* variables, outputs and state through the files GitHub names.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const action = join(import.meta.dirname, "..", "stand-ins", "actions", "cache");
const scratch = mkdtempSync(join(tmpdir(), "cache-stand-in-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One job: a workspace, the action's main, the job's steps (`between`), then its post. */
function job(name: string, inputs: Record<string, string>, between = () => {}) {
  const workspace = join(scratch, name);
  mkdirSync(workspace, { recursive: true });
  const output = join(workspace, "output");
  const state = join(workspace, "state");
  writeFileSync(output, "");
  writeFileSync(state, "");
  const env = {
    ...process.env,
    RUNNER_TOOL_CACHE: join(scratch, "tool-cache"),
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: output,
    GITHUB_STATE: state,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  const main = spawnSync("node", [join(action, "restore.mjs")], { env, encoding: "utf8" });
  if (main.status !== 0) return { status: main.status, log: main.stdout, workspace, hit: "" };
  between();
  const saved = Object.fromEntries(
    readFileSync(state, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => [`STATE_${line.split("=")[0]}`, line.split("=")[1]]),
  );
  execFileSync("node", [join(action, "save.mjs")], { env: { ...env, ...saved } });
  const hit = /cache-hit=(\w+)/.exec(readFileSync(output, "utf8"))?.[1] ?? "";
  return { status: 0, log: main.stdout, workspace, hit };
}

describe("the actions/cache stand-in", () => {
  it("misses, saves in the post step, then restores the same files by key in another job", () => {
    const first = job("first", { path: "node_modules", key: "modules-abc" }, () => {
      mkdirSync(join(scratch, "first", "node_modules", "pkg"), { recursive: true });
      writeFileSync(join(scratch, "first", "node_modules", "pkg", "index.js"), "one");
    });
    expect(first.hit).toBe("false");
    const second = job("second", { path: "node_modules", key: "modules-abc" });
    expect(second.hit).toBe("true");
    expect(readFileSync(join(second.workspace, "node_modules", "pkg", "index.js"), "utf8")).toBe(
      "one",
    );
  });

  it("restores from a restore-keys prefix without calling it a hit", () => {
    const stale = job("stale", {
      path: "node_modules",
      key: "modules-def",
      "restore-keys": "modules-",
    });
    expect(stale.hit).toBe("false");
    expect(readFileSync(join(stale.workspace, "node_modules", "pkg", "index.js"), "utf8")).toBe(
      "one",
    );
  });

  it("refuses a glob pattern and fails on a miss when asked to", () => {
    expect(job("glob", { path: "**/node_modules", key: "x" })).toMatchObject({ status: 1 });
    const miss = job("miss", {
      path: "node_modules",
      key: "nothing",
      "fail-on-cache-miss": "true",
    });
    expect(miss.status).toBe(1);
    expect(miss.log).toMatch(/no cache entry for nothing/);
  });
});
