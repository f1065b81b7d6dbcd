import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { publishOutput, writeNewFolder } from "../src/write.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function outputDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-write-"));
  made.push(dir);
  return dir;
}

const files = (entries: Record<string, string>) =>
  new Map(Object.entries(entries).map(([path, text]) => [path, bytes(text)]));

const FIRST = files({
  "modules/dns/main.tf.json": "dns 1",
  "environments/dev/global/main.tf.json": "dev 1",
  "environments/prod/global/main.tf.json": "prod 1",
});
const SECOND = files({
  "modules/dns/main.tf.json": "dns 2",
  "environments/dev/global/main.tf.json": "dev 2",
});

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

const hidden = (dir: string) => readdirSync(dir).filter((name) => name.startsWith("."));
/** The generation `dist/current` points at. */
const currentGeneration = (dir: string) => readlinkSync(join(dir, "current")).split("/")[0]!;
/** After a publish that replaced a generation: that one and the current one. */
const twoGenerations = [expect.stringMatching(/^\.gen-/), expect.stringMatching(/^\.gen-/)];

describe("publishOutput", () => {
  it("replaces every output folder as a whole; a deleted environment disappears", () => {
    const out = outputDir();
    publishOutput(out, FIRST, ["modules", "environments"], { complete: true });
    const first = currentGeneration(out);
    publishOutput(out, SECOND, ["modules", "environments"], { complete: true });
    expect(readFileSync(join(out, "modules/dns/main.tf.json"), "utf8")).toBe("dns 2");
    expect(readdirSync(join(out, "environments"))).toEqual(["dev"]);
    // the replaced generation stays until the next publish (a reader may be opening its files);
    // every folder is a link through current
    const second = currentGeneration(out);
    expect(hidden(out).sort()).toEqual([first, second].sort());
    publishOutput(out, FIRST, ["modules", "environments"], { complete: true });
    expect(hidden(out).sort()).toEqual([second, currentGeneration(out)].sort());
    expect(
      readdirSync(out)
        .filter((name) => !name.startsWith("."))
        .sort(),
    ).toEqual(["current", "environments", "modules"]);
    expect(readlinkSync(join(out, "modules"))).toBe("current/modules");
  });

  it("resolves a root's module sources in its own generation and in the repository, and never touches dist/sandbox", () => {
    const repo = outputDir();
    const out = join(repo, "dist");
    mkdirSync(join(repo, "modules/dns/releases/1.0.0"), { recursive: true });
    writeFileSync(join(repo, "modules/dns/releases/1.0.0/main.tf.json"), "released");
    mkdirSync(join(out, "sandbox"), { recursive: true });
    writeFileSync(join(out, "sandbox/moto.pid"), "123");
    publishOutput(out, FIRST, ["modules", "environments"], { complete: true });
    publishOutput(out, SECOND, ["modules", "environments"], { complete: true });
    // Terraform's working directory is the root's real folder: its sources resolve from there.
    const real = realpathSync(join(out, "environments/dev/global"));
    expect(readFileSync(`${real}/../../../modules/dns/main.tf.json`, "utf8")).toBe("dns 2");
    expect(
      readFileSync(`${real}/../../../../modules/dns/releases/1.0.0/main.tf.json`, "utf8"),
    ).toBe("released");
    expect(readFileSync(join(out, "sandbox/moto.pid"), "utf8")).toBe("123");
    // removing a replaced generation removed its link to the repository's modules, not them
    expect(readFileSync(join(repo, "modules/dns/releases/1.0.0/main.tf.json"), "utf8")).toBe(
      "released",
    );
  });

  it("with carry, keeps the environments it did not synthesize and drops the ones not named", () => {
    const out = outputDir();
    publishOutput(out, FIRST, ["modules", "environments"], { complete: true });
    mkdirSync(join(out, "environments/prod/global/.terraform"));
    writeFileSync(join(out, "environments/prod/global/.terraform/big"), "provider");
    publishOutput(out, SECOND, ["modules", "environments"], { carry: ["environments/prod"] });
    expect(readdirSync(join(out, "environments")).sort()).toEqual(["dev", "prod"]);
    expect(readFileSync(join(out, "environments/prod/global/main.tf.json"), "utf8")).toBe("prod 1");
    expect(existsSync(join(out, "environments/prod/global/.terraform"))).toBe(false);
  });

  it("replaces the plain folders an older tandem wrote", () => {
    const out = outputDir();
    mkdirSync(join(out, "modules/old"), { recursive: true });
    mkdirSync(join(out, "environments/gone"), { recursive: true });
    publishOutput(out, SECOND, ["modules", "environments"], { complete: true });
    expect(lstatSync(join(out, "modules")).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(out, "modules"))).toEqual(["dns"]);
    expect(readdirSync(join(out, "environments"))).toEqual(["dev"]);
    // the generation adopted from the plain folders, replaced, and the current one
    expect(hidden(out)).toEqual(twoGenerations);
  });

  it("leaves the previous output intact when writing fails part-way", () => {
    const out = outputDir();
    publishOutput(out, FIRST, ["modules", "environments"], { complete: true });
    const broken = files({
      "environments/dev/a.json": "a",
      "environments/dev/a.json/b.json": "cannot: a.json is a file",
    });
    expect(() => publishOutput(out, broken, ["modules", "environments"])).toThrow();
    expect(readFileSync(join(out, "environments/dev/global/main.tf.json"), "utf8")).toBe("dev 1");
    expect(hidden(out)).toHaveLength(1);
  });

  it("takes over the output of the previous layout (a link per folder) and removes what it left", () => {
    const out = outputDir();
    const pid = deadPid();
    for (const [target, file, text] of [
      ["modules", "dns/main.tf.json", "dns old"],
      ["environments", "prod/global/main.tf.json", "prod old"],
    ] as const) {
      const generation = `.${target}.zz-${pid}-abc`;
      mkdirSync(join(out, generation, file, ".."), { recursive: true });
      writeFileSync(join(out, generation, file), text);
      symlinkSync(generation, join(out, target));
    }
    writeFileSync(join(out, ".publish.json"), "{}");
    publishOutput(out, SECOND, ["modules", "environments"], {
      carry: ["environments/prod"],
    });
    expect(readFileSync(join(out, "modules/dns/main.tf.json"), "utf8")).toBe("dns 2");
    expect(readFileSync(join(out, "environments/prod/global/main.tf.json"), "utf8")).toBe(
      "prod old",
    );
    expect(readlinkSync(join(out, "environments"))).toBe("current/environments");
    // the generation adopted from the previous layout, replaced, and the current one
    expect(hidden(out)).toEqual(twoGenerations);
  });

  it("never shows a reader a missing or half-written file while generations are swapped", async () => {
    const out = outputDir();
    const generation = (n: number) =>
      files({ "modules/dns/main.tf.json": `${n}`, "environments/dev/global/main.tf.json": `${n}` });
    publishOutput(out, generation(0), ["modules", "environments"], { complete: true });
    const paths = ["modules/dns/main.tf.json", "environments/dev/global/main.tf.json"].map((p) =>
      join(out, p),
    );
    const reader = spawn(
      process.execPath,
      [
        "-e",
        `const fs = require("fs"); const paths = ${JSON.stringify(paths)};
         let bad = 0, reads = 0; const end = Date.now() + 1200;
         while (Date.now() < end) for (const p of paths) {
           try { if (!/^\\d+$/.test(fs.readFileSync(p, "utf8"))) bad++; } catch { bad++; }
           reads++;
         }
         process.stdout.write(JSON.stringify({ bad, reads }));`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    reader.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const done = new Promise((resolve) => reader.on("close", resolve));
    for (let n = 1; n <= 40; n++) {
      publishOutput(out, generation(n), ["modules", "environments"], { complete: true });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await done;
    const { bad, reads } = JSON.parse(output) as { bad: number; reads: number };
    expect(reads).toBeGreaterThan(100);
    expect(bad).toBe(0);
  });
});

describe("parallel publishes", () => {
  it("serialize, so an environment one carries is never lost to another (nx runs synth --env in parallel)", async () => {
    const out = outputDir();
    const script = join(outputDir(), "publish.mjs");
    await build({
      stdin: {
        contents: `import { publishOutput } from ${JSON.stringify(join(import.meta.dirname, "../src/write.ts"))};
          const [out, env, n] = process.argv.slice(2);
          for (let i = 0; i < Number(n); i++) {
            const files = new Map([[\`environments/\${env}/root/main.tf.json\`, new TextEncoder().encode(String(i))],
              ["modules/dns/main.tf.json", new TextEncoder().encode(env)]]);
            const others = ["a", "b", "c"].filter((e) => e !== env).map((e) => \`environments/\${e}\`);
            publishOutput(out, files, ["modules", "environments"], { carry: others });
          }`,
        resolveDir: import.meta.dirname,
        loader: "ts",
      },
      bundle: true,
      format: "esm",
      platform: "node",
      outfile: script,
      logLevel: "silent",
    });
    const children = ["a", "b", "c"].map(
      (env) =>
        new Promise<number | null>((resolve) =>
          spawn(process.execPath, [script, out, env, "15"], { stdio: "inherit" }).on(
            "close",
            resolve,
          ),
        ),
    );
    expect(await Promise.all(children)).toEqual([0, 0, 0]);
    expect(readdirSync(join(out, "environments")).sort()).toEqual(["a", "b", "c"]);
    for (const env of ["a", "b", "c"])
      expect(readFileSync(join(out, "environments", env, "root/main.tf.json"), "utf8")).toBe("14");
    expect(hidden(out)).toEqual(twoGenerations);
  }, 60_000);
});

describe("writeNewFolder", () => {
  it("writes the folder whole and leaves no staging behind, removing that of killed runs", () => {
    const parent = outputDir();
    mkdirSync(join(parent, `.staging-${deadPid()}-x`));
    writeNewFolder(parent, "1.0.0", files({ "main.tf.json": "{}" }));
    expect(readdirSync(parent)).toEqual(["1.0.0"]);
    expect(readFileSync(join(parent, "1.0.0/main.tf.json"), "utf8")).toBe("{}");
  });
});
