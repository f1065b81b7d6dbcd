// Planning three roots (a primary, a secondary and a global one, each with the AWS provider):
// one after another with a provider fetch per root, against `node dist/index.js` planning them
// as the action does (concurrently, one plugin cache per run). Prints medians and the ratio, and
// how many times the provider was fetched into a cache.
//
//   node tools/deploy-action/bench/bench.mjs [--runs N] [--tool terraform|tofu]
//
// The AWS provider comes from a filesystem mirror: TANDEM_PROVIDER_MIRROR, or the first
// `hashicorp/aws/5.100.0` found within 6 levels of /. Nothing is downloaded.
import { execFile, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    tool: { type: "string", default: "terraform" },
  },
});
const RUNS = Number(values.runs);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const bin =
  values.tool === "tofu"
    ? process.env.TANDEM_TOFU_BIN || join(repoRoot, ".tools", "bin", "tofu")
    : process.env.TANDEM_TERRAFORM_BIN || "terraform";

function mirror() {
  if (process.env.TANDEM_PROVIDER_MIRROR) return process.env.TANDEM_PROVIDER_MIRROR;
  const found = spawnSync("find", ["/", "-maxdepth", "6", "-path", "*hashicorp/aws/5.100.0"], {
    encoding: "utf8",
    timeout: 60_000,
  }).stdout.split("\n")[0];
  // <mirror>/registry.terraform.io/hashicorp/aws/5.100.0
  return found ? dirname(dirname(dirname(dirname(found)))) : undefined;
}

const ROOTS = [
  { name: "us-east-1", region: "us-east-1", dependsOn: [] },
  { name: "us-west-2", region: "us-west-2", dependsOn: ["us-east-1"] },
  { name: "global", region: "us-east-1", dependsOn: ["us-east-1", "us-west-2"] },
];

function rootJson(root) {
  return {
    terraform: {
      required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } },
      backend: { local: { path: "terraform.tfstate" } },
    },
    provider: {
      aws: {
        region: root.region,
        access_key: "bench",
        secret_key: "bench",
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
      },
    },
    resource: {
      terraform_data: Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`r${i}`, { input: `${root.name}-${i}` }]),
      ),
    },
  };
}

/** The installed tool's version: the action runs only the version the tree pins. */
const toolVersion = JSON.parse(spawnSync(bin, ["version", "-json"], { encoding: "utf8" }).stdout)[
  "terraform_version"
];
/** staging's committed lock: both registries' hashes of the AWS provider 5.100.0. */
const LOCK = join(repoRoot, "environments", "staging.terraform.lock.hcl");

/**
 * A repository with dist/environments/bench/: three roots, each with the committed lock as
 * synthesis writes it, and their deployments.json pinning the installed tool.
 */
function makeRepo(base) {
  const dir = join(base, "dist", "environments", "bench");
  const deployments = ROOTS.map((root) => {
    mkdirSync(join(dir, root.name), { recursive: true });
    const text = `${JSON.stringify(rootJson(root), null, 2)}\n`;
    writeFileSync(join(dir, root.name, "main.tf.json"), text);
    copyFileSync(LOCK, join(dir, root.name, ".terraform.lock.hcl"));
    return { ...root, role: root.name, sha256: "0".repeat(64), modules: {} };
  });
  const tool = values.tool === "tofu" ? "opentofu" : "terraform";
  const toolchain = {
    terraform: "1.11.4",
    opentofu: "1.12.6",
    aws: "5.100.0",
    [tool]: toolVersion,
  };
  writeFileSync(
    join(dir, "deployments.json"),
    JSON.stringify({ deployments, environment: "bench", toolchain }),
  );
  return dir;
}

function run(file, args, options) {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { ...options, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${file} ${args.join(" ")}: ${stderr || error.message}`))
          : resolve(stdout),
    );
  });
}

const fetches = (initOutput) =>
  initOutput.split("\n").filter((l) => /^- Installing \S+ v/.test(l.trim())).length;

/** Each root in turn, each with its own plugin cache (no sharing): init, plan, show twice. */
async function oneAfterAnother(env) {
  const base = mkdtempSync(join(tmpdir(), "tandem-bench-serial-"));
  const dir = makeRepo(base);
  let fetched = 0;
  const started = performance.now();
  for (const root of ROOTS) {
    const cwd = join(dir, root.name);
    const rootEnv = { ...env, TF_PLUGIN_CACHE_DIR: join(base, `cache-${root.name}`) };
    mkdirSync(rootEnv.TF_PLUGIN_CACHE_DIR);
    fetched += fetches(
      await run(bin, ["init", "-input=false", "-no-color"], { cwd, env: rootEnv }),
    );
    await run(bin, ["plan", "-input=false", "-no-color", "-out=p"], { cwd, env: rootEnv });
    await run(bin, ["show", "-json", "p"], { cwd, env: rootEnv });
    await run(bin, ["show", "-no-color", "p"], { cwd, env: rootEnv });
  }
  const ms = performance.now() - started;
  rmSync(base, { recursive: true, force: true });
  return { ms, fetched };
}

/** `node dist/index.js` with command=plan, as a workflow step runs it (no GitHub token). */
async function asTheActionDoes(env) {
  const base = mkdtempSync(join(tmpdir(), "tandem-bench-action-"));
  makeRepo(base);
  const started = performance.now();
  const stdout = await run(
    process.execPath,
    [join(repoRoot, "tools/deploy-action/dist/index.js")],
    {
      env: {
        ...env,
        INPUT_COMMAND: "plan",
        INPUT_ENVIRONMENT: "bench",
        INPUT_TOOL: values.tool,
        "INPUT_WORKING-DIRECTORY": base,
        GITHUB_SHA: "b".repeat(40),
        GITHUB_RUN_ID: "1",
        RUNNER_TEMP: base,
        TANDEM_ARTIFACT_DIR: join(base, "artifacts"),
        ...(values.tool === "tofu" ? { TANDEM_TOFU_BIN: bin } : { TANDEM_TERRAFORM_BIN: bin }),
      },
    },
  );
  const ms = performance.now() - started;
  const fetched = [...stdout.matchAll(/(\d+) provider\(s\) fetched/g)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  const cache = join(base, "tandem-plugin-cache-1", "registry.terraform.io", "hashicorp", "aws");
  const cached = readdirSync(cache).length;
  rmSync(base, { recursive: true, force: true });
  return { ms, fetched, cached };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const mirrorPath = mirror();
if (!mirrorPath) {
  console.log(
    "skipped: no hashicorp/aws 5.100.0 provider mirror found (set TANDEM_PROVIDER_MIRROR)",
  );
  process.exit(0);
}
const config = join(mkdtempSync(join(tmpdir(), "tandem-bench-cli-")), "cli.tfrc");
writeFileSync(
  config,
  `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirrorPath)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
);
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  TF_CLI_CONFIG_FILE: config,
  TF_IN_AUTOMATION: "1",
};

const serial = [];
const action = [];
for (let i = 0; i < RUNS; i++) {
  serial.push(await oneAfterAnother(env));
  action.push(await asTheActionDoes(env));
}
rmSync(dirname(config), { recursive: true, force: true });

const s = median(serial.map((r) => r.ms));
const a = median(action.map((r) => r.ms));
const row = (label, ms, ratio, fetched) =>
  `| ${label} | ${Math.round(ms).toLocaleString("en")} ms | ${ratio} | ${fetched} |`;
console.log(`${values.tool}, 3 roots with the AWS provider 5.100.0, median of ${RUNS} runs\n`);
console.log("| Case | Median | Ratio | Provider fetches |\n| --- | ---: | ---: | ---: |");
console.log(row("one after another, a provider fetch per root", s, "1.00×", serial[0].fetched));
console.log(
  row(
    "as the action plans them (node dist/index.js)",
    a,
    `${(a / s).toFixed(2)}× (${(s / a).toFixed(2)}× faster)`,
    action[0].fetched,
  ),
);
console.log(
  `\nplugin cache after the action's run: ${action[0].cached} aws version(s) cached, filled once`,
);
