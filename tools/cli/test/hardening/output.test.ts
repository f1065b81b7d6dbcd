// Issue 13, classes 1 (dist/ replaced as a whole, leftovers of killed runs cleaned) and 11
// (module output cached by the content that produces it).
import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  changeNumericDefault,
  commit,
  readTree,
  scratchRepo,
  tandem,
  tempDir,
} from "../e2e/scratch.ts";
import {
  DOMAINS,
  buildModules,
  MAX_CACHE_ENTRIES,
  installedPackages,
  loadModuleSources,
} from "@tandem/generator";

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

describe("dist/ is replaced as a whole (class 1)", () => {
  let repo: string;
  beforeAll(async () => {
    repo = scratchRepo();
    expect((await tandem(repo, ["synth"])).code).toBe(0);
  });

  it("removes the output of an environment whose manifest is gone, and keeps dist/sandbox", async () => {
    mkdirSync(join(repo, "dist/sandbox"), { recursive: true });
    writeFileSync(join(repo, "dist/sandbox/moto.pid"), "4242");
    const staging = readFileSync(join(repo, "environments/staging.yaml"));
    rmSync(join(repo, "environments/staging.yaml"));
    try {
      expect((await tandem(repo, ["synth"])).code).toBe(0);
      expect(readdirSync(join(repo, "dist/environments")).sort()).toEqual(["dev", "prod"]);
      expect(readFileSync(join(repo, "dist/sandbox/moto.pid"), "utf8")).toBe("4242");
      // --env keeps the other environments that still have manifests, and only those
      writeFileSync(join(repo, "environments/staging.yaml"), staging);
      expect((await tandem(repo, ["synth", "--env", "staging"])).code).toBe(0);
      expect(readdirSync(join(repo, "dist/environments")).sort()).toEqual([
        "dev",
        "prod",
        "staging",
      ]);
      rmSync(join(repo, "environments/dev.yaml"));
      expect((await tandem(repo, ["synth", "--env", "prod"])).code).toBe(0);
      expect(readdirSync(join(repo, "dist/environments")).sort()).toEqual(["prod", "staging"]);
    } finally {
      writeFileSync(join(repo, "environments/staging.yaml"), staging);
      spawnSync("git", ["-C", repo, "checkout", "--", "environments"]);
    }
  });

  it("keeps each root where its relative module sources resolve, through the real path too", async () => {
    expect((await tandem(repo, ["synth"])).code).toBe(0);
    for (const env of ["dev", "prod", "staging"]) {
      const summary = JSON.parse(
        readFileSync(join(repo, "dist/environments", env, "deployments.json"), "utf8"),
      ) as { deployments: { name: string }[] };
      for (const root of summary.deployments.map((d) => d.name)) {
        const dir = join(repo, "dist/environments", env, root);
        const json = JSON.parse(readFileSync(join(dir, "main.tf.json"), "utf8")) as {
          module: Record<string, { source: string }>;
        };
        for (const { source } of Object.values(json.module)) {
          // resolved as the kernel does from the folder Terraform runs in (links followed)
          const target = resolve(realpathSync(dir), source);
          expect(existsSync(join(target, "main.tf.json")), `${env}/${root}: ${source}`).toBe(true);
        }
      }
    }
    expect(lstatSync(join(repo, "dist/environments")).isSymbolicLink()).toBe(true);
  });

  it("cleans what killed runs left: generations, staging, module bundles and extracted trees", async () => {
    const pid = deadPid();
    const leftovers = [
      join(repo, `dist/.environments.zz-${pid}-x`),
      join(repo, `dist/.publish.json.${pid}`),
      join(installedPackages(), ".cache/tandem", `bundle-${pid}-x-0123.mjs`),
      join(tmpdir(), `tandem-tree-${pid}-x`),
      join(repo, `modules/dns/releases/.staging-${pid}-x`),
    ];
    for (const path of leftovers) {
      if (path.endsWith(".mjs") || path.includes(".publish")) writeFileSync(path, "left");
      else mkdirSync(path, { recursive: true });
    }
    process.env.TANDEM_MODULE_CACHE = "off"; // so the module bundle is loaded
    try {
      for (const argv of [["synth"], ["affected", "--base", "HEAD"]])
        expect(await tandem(repo, argv)).toMatchObject({ code: 0, stderr: "" });
      // released already (same or different content, as the tree stands): cleans either way
      expect((await tandem(repo, ["release", "dns"])).stderr).not.toContain("internal error");
    } finally {
      delete process.env.TANDEM_MODULE_CACHE;
    }
    for (const path of leftovers) expect(existsSync(path), path).toBe(false);
  });

  it("leaves the complete previous output when a synth fails", async () => {
    expect((await tandem(repo, ["synth"])).code).toBe(0);
    const before = readTree(join(repo, "dist"));
    writeFileSync(join(repo, "environments/qa.yaml"), "name: [\n");
    try {
      expect((await tandem(repo, ["synth"])).code).toBe(1);
    } finally {
      rmSync(join(repo, "environments/qa.yaml"));
    }
    expect(readTree(join(repo, "dist"))).toEqual(before);
  });
});

describe("module output is cached by the content that produces it (class 11)", () => {
  const refuse = () => Promise.reject(new Error("the module sources were loaded"));

  it("a second build of unchanged sources loads no module code (and so no cdktf)", async () => {
    const repo = scratchRepo();
    const cacheDir = tempDir("tandem-cache-");
    const first = await buildModules(repo, { cacheDir });
    expect(first.synthesized.sort()).toEqual([...DOMAINS].sort());
    const second = await buildModules(repo, { cacheDir, load: refuse });
    expect(second.synthesized).toEqual([]);
    for (const d of DOMAINS) {
      expect(second.modules[d].sha256).toBe(first.modules[d].sha256);
      expect(second.modules[d].terraformSha256).toBe(first.modules[d].terraformSha256);
      expect(second.modules[d].json).toEqual(first.modules[d].json);
    }
    expect(second.toolchain).toEqual(first.toolchain);
  });

  it("synthesizes again exactly the module whose source changed, or all when the kit changed", async () => {
    const repo = scratchRepo();
    const cacheDir = tempDir("tandem-cache-");
    await buildModules(repo, { cacheDir });
    changeNumericDefault(repo, "networking");
    const changed = await buildModules(repo, { cacheDir, load: loadModuleSources });
    expect(changed.synthesized).toEqual(["networking"]);
    writeFileSync(
      join(repo, "tools/module-kit/src/index.ts"),
      `${readFileSync(join(repo, "tools/module-kit/src/index.ts"), "utf8")}\n// changed\n`,
    );
    const kit = await buildModules(repo, { cacheDir });
    expect(kit.synthesized.sort()).toEqual([...DOMAINS].sort());
  });

  it("gives the same synth output from the cache as without it", async () => {
    const repo = scratchRepo();
    commit(repo, "same tree");
    process.env.TANDEM_MODULE_CACHE = "off";
    try {
      expect((await tandem(repo, ["synth"])).code).toBe(0);
    } finally {
      delete process.env.TANDEM_MODULE_CACHE;
    }
    const uncached = readTree(join(repo, "dist"));
    expect((await tandem(repo, ["synth"])).code).toBe(0);
    expect((await tandem(repo, ["synth"])).code).toBe(0);
    expect(readTree(join(repo, "dist"))).toEqual(uncached);
  });

  it("stays bounded: the least recently used entries beyond the limit are removed", async () => {
    const repo = scratchRepo();
    const cacheDir = tempDir("tandem-cache-");
    mkdirSync(cacheDir, { recursive: true });
    for (let i = 0; i < MAX_CACHE_ENTRIES + 10; i++) {
      const file = join(cacheDir, `${String(i).padStart(64, "0")}.json`);
      writeFileSync(file, "{}");
    }
    writeFileSync(join(cacheDir, `.write-${deadPid()}-x`), "half");
    await buildModules(repo, { cacheDir });
    const entries = readdirSync(cacheDir);
    expect(entries.length).toBe(MAX_CACHE_ENTRIES);
    expect(entries.filter((name) => name.startsWith("."))).toEqual([]);
  });
});
