// actions/github-script, for rehearsals (see action.yml).
import { appendFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? "").trim();
const fail = (message) => {
  console.log(`::error title=github-script::${message}`);
  process.exit(1);
};

/** A toolkit package from the workspace the rehearsal runs from (the real action bundles it). */
async function load(name) {
  const root = process.env.TANDEM_REHEARSAL_PACKAGES;
  if (!root) fail("TANDEM_REHEARSAL_PACKAGES is not set (the rehearsal's runner sets it)");
  const dir = join(root, "node_modules", name);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return import(pathToFileURL(join(dir, manifest.exports?.["."]?.import ?? manifest.main)).href);
}

const script = input("script") || fail("Input required and not supplied: script");
const token = input("github-token") || fail("Input required and not supplied: github-token");
const { context, getOctokit } = await load("@actions/github");
const core = await load("@actions/core");
const exec = await load("@actions/exec");
const io = await load("@actions/io");
const github = getOctokit(token, {
  userAgent: input("user-agent") || "actions/github-script",
  ...(input("base-url") ? { baseUrl: input("base-url") } : {}),
});
// As the real action: require resolves from the workspace, so `require("node:fs")` works.
const require = createRequire(join(process.env.GITHUB_WORKSPACE ?? process.cwd(), "noop.js"));
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
const run = new AsyncFunction(
  "require",
  "github",
  "octokit",
  "context",
  "core",
  "exec",
  "io",
  script,
);
try {
  const result = await run(require, github, github, context, core, exec, io);
  if (result !== undefined) {
    const encoded = input("result-encoding") === "string" ? String(result) : JSON.stringify(result);
    appendFileSync(process.env.GITHUB_OUTPUT, `result<<__RESULT__\n${encoded}\n__RESULT__\n`);
  }
} catch (error) {
  core.setFailed(`Unhandled error: ${error}`);
}
