import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { ensureMoto, SandboxError } from "./moto.ts";

export type ToolName = "terraform" | "tofu";
export const TOOLS: readonly ToolName[] = ["terraform", "tofu"];

/** The oldest versions with ephemeral resources and write-only arguments the modules use. */
const MINIMUM: Record<ToolName, [number, number]> = { terraform: [1, 11], tofu: [1, 11] };

export interface Tool {
  readonly name: ToolName;
  readonly bin: string;
  readonly version: string;
}

/**
 * The binary of `name`: `TANDEM_TERRAFORM_BIN` / `TANDEM_TOFU_BIN`, else the PATH, else (for
 * the tools tools/setup/install-test-tools.sh builds) `.tools/bin/` of the repository.
 */
export function findTool(
  name: ToolName,
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): Tool | undefined {
  const override = env[`TANDEM_${name.toUpperCase()}_BIN`];
  const candidates = [
    ...(override ? [override] : []),
    ...(env.PATH ?? "").split(delimiter).map((dir) => join(dir, name)),
    join(repoRoot, ".tools", "bin", name),
  ];
  const bin = candidates.find((file) => file && existsSync(file));
  if (!bin) return undefined;
  const version = toolVersion(bin);
  return { name, bin, version };
}

/**
 * Why the sandbox cannot run end to end on this machine, or undefined: tests that need it skip
 * with this message. Only a tool that cannot be had counts: without a provider mirror or CLI
 * configuration, `terraform init` downloads the provider as usual.
 */
export function sandboxUnavailable(repoRoot: string): string | undefined {
  try {
    ensureMoto(repoRoot);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** Like findTool, but a missing or too old tool is a clear error. */
export function requireTool(name: ToolName, repoRoot: string): Tool {
  const tool = findTool(name, repoRoot);
  if (!tool) {
    throw new SandboxError(
      `${name} not found: put it on the PATH or set TANDEM_${name.toUpperCase()}_BIN` +
        (name === "tofu"
          ? " (bash tools/setup/install-test-tools.sh go builds it into .tools/bin)"
          : ""),
    );
  }
  const [major, minor] = tool.version.split(".").map(Number);
  const [needMajor, needMinor] = MINIMUM[name];
  if (major! < needMajor || (major === needMajor && minor! < needMinor)) {
    throw new SandboxError(
      `${name} ${tool.version} is too old: the roots need ${needMajor}.${needMinor}+`,
    );
  }
  return tool;
}

function toolVersion(bin: string): string {
  const out = execFileSync(bin, ["version", "-json"], {
    encoding: "utf8",
    timeout: 20_000,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const parsed = JSON.parse(out) as { terraform_version?: string };
  return parsed.terraform_version ?? "unknown";
}

/**
 * Where providers come from. `TANDEM_PROVIDER_MIRROR` names a filesystem mirror (a folder
 * holding `registry.terraform.io/hashicorp/aws/<version>/`); without it the user's own CLI
 * configuration is used as it is, and without that `init` downloads providers as usual.
 */
export function providerSource(
  env: NodeJS.ProcessEnv = process.env,
): { mirror: string } | { cliConfig: string } | undefined {
  if (env.TANDEM_PROVIDER_MIRROR) return { mirror: env.TANDEM_PROVIDER_MIRROR };
  const configured = env.TF_CLI_CONFIG_FILE ?? join(homedir(), ".terraformrc");
  return existsSync(configured) ? { cliConfig: configured } : undefined;
}

/**
 * The CLI configuration file the sandbox's tool processes read: the mirror (also under
 * OpenTofu's registry host, which names `hashicorp/aws` as registry.opentofu.org) and one
 * provider plugin cache shared by every root of the run.
 */
export function cliConfig(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const source = providerSource(env);
  if (!source) return undefined;
  if ("cliConfig" in source) return source.cliConfig;
  const upstream = join(source.mirror, "registry.terraform.io");
  if (!existsSync(upstream)) {
    throw new SandboxError(
      `TANDEM_PROVIDER_MIRROR has no registry.terraform.io folder: ${source.mirror}`,
    );
  }
  // Tests in other processes prepare the same sandbox while a tool reads its mirror and file:
  // both are written aside and renamed into place, never removed under a reader. The mirror's
  // folder is named by what it links, so a changed upstream gets a folder of its own.
  const packages = subfolders(upstream, 3).flatMap((version) =>
    readdirSync(join(upstream, version)).map((platform) => join(version, platform)),
  );
  const digest = createHash("sha256").update(upstream).update(packages.join("\n")).digest("hex");
  const mirror = join(dir, `providers-${digest.slice(0, 12)}`);
  if (!existsSync(mirror)) {
    const building = `${mirror}.${process.pid}-${randomBytes(3).toString("hex")}`;
    // Terraform walks a mirror without following links to folders, so the tree is made of
    // folders down to the version and links only the platform packages.
    for (const host of ["registry.terraform.io", "registry.opentofu.org"]) {
      for (const pkg of packages) {
        mkdirSync(join(building, host, dirname(pkg)), { recursive: true });
        symlinkSync(join(upstream, pkg), join(building, host, pkg));
      }
    }
    try {
      renameSync(building, mirror);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another process put it in place
    }
  }
  const file = join(dir, "cli.tfrc");
  const temporary = `${file}.${process.pid}`;
  writeFileSync(
    temporary,
    [
      "provider_installation {",
      `  filesystem_mirror { path = ${JSON.stringify(mirror)} }`,
      "}",
      "",
    ].join("\n"),
  );
  renameSync(temporary, file);
  return file;
}

/**
 * How a tool process run in `dir` finds providers: the CLI configuration (mirror or the user's
 * own), else one plugin cache for every root, filled by downloads.
 */
export function providerEnv(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): { TF_CLI_CONFIG_FILE: string } | { TF_PLUGIN_CACHE_DIR: string } {
  const config = cliConfig(dir, env);
  return config ? { TF_CLI_CONFIG_FILE: config } : { TF_PLUGIN_CACHE_DIR: pluginCache(dir) };
}

/** One provider plugin cache for every root of a sandbox (used when there is no mirror). */
export function pluginCache(dir: string): string {
  const cache = join(dir, "plugin-cache");
  mkdirSync(cache, { recursive: true });
  return cache;
}

/** Relative paths of the folders `depth` levels below `dir` (namespace/type/version). */
function subfolders(dir: string, depth: number): string[] {
  if (depth === 0) return [""];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      subfolders(join(dir, entry.name), depth - 1).map((rest) => join(entry.name, rest)),
    );
}
