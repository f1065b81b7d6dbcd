import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import {
  environmentFiles,
  loadEnvironment,
  lockFilePath,
  ManifestProblems,
  providerLock,
  UsageError,
  writeFileAtomically,
  type Manifest,
  type ToolName,
} from "@tandem/generator";
import { EXIT, type Command, type CommandContext } from "../command.ts";

const USAGE =
  "tandem toolchain --env <env> [--json] | tandem toolchain lock --env <env> [--platform <os_arch>]... [--fs-mirror <dir>]";
const HELP = `Prints the versions an environment pins (toolchain: terraform, opentofu, aws) as
key=value lines (ready for $GITHUB_OUTPUT) or, with --json, one JSON object: the setup action
installs these, so no workflow parses a manifest.

\`lock\` writes environments/<env>.terraform.lock.hcl: hashicorp/aws at toolchain.aws, hashed by
\`terraform providers lock\` and, where OpenTofu is found, \`tofu providers lock\` (one entry per
registry). Providers come from --fs-mirror, else TANDEM_PROVIDER_MIRROR, else the registries.
Platforms: linux_amd64 unless --platform is given. Commit the lock with the pin it matches, in a
pull request of its own.`;

/** The environment's manifest, valid apart from its lock (which `lock` is about to write). */
function pinnedManifest(io: CommandContext, env: string): Manifest {
  const [file] = environmentFiles(io.root, [env]);
  const { environment, problems } = loadEnvironment(file!, { root: io.root });
  if (!environment) throw new ManifestProblems(problems);
  return environment.manifest;
}

/** A tool's binary: TANDEM_<TOOL>_BIN, else the PATH, else the repository's `.tools/bin`. */
function findBinary(tool: ToolName, io: CommandContext): string | undefined {
  const override = io.env[`TANDEM_${tool.toUpperCase()}_BIN`];
  const candidates = [
    ...(override ? [override] : []),
    ...(io.env.PATH ?? "").split(delimiter).map((dir) => join(dir, tool)),
    join(io.root, ".tools", "bin", tool),
  ];
  return candidates.find((file) => file !== "" && existsSync(file));
}

function writeLock(io: CommandContext, env: string, values: LockValues): number {
  const manifest = pinnedManifest(io, env);
  const bins: Partial<Record<ToolName, string>> = {};
  for (const tool of ["terraform", "tofu"] as const) {
    const bin = findBinary(tool, io);
    if (bin) bins[tool] = bin;
    else io.stderr(`tandem toolchain lock: ${tool} not found, so the lock has no entry for it\n`);
  }
  if (Object.keys(bins).length === 0)
    throw new UsageError("neither terraform nor tofu was found (PATH or TANDEM_*_BIN)", USAGE);
  const mirror = values["fs-mirror"] ?? io.env.TANDEM_PROVIDER_MIRROR;
  const scratch = mkdtempSync(join(tmpdir(), "tandem-lock-"));
  try {
    const text = providerLock(manifest.toolchain.aws, {
      bins,
      scratch,
      ...(mirror ? { mirror: resolve(io.cwd, mirror) } : {}),
      ...(values.platform ? { platforms: values.platform } : {}),
    });
    writeFileAtomically(join(io.root, lockFilePath(env)), text);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  io.stdout(`${lockFilePath(env)}: hashicorp/aws ${manifest.toolchain.aws} locked\n`);
  return EXIT.ok;
}

interface LockValues {
  platform?: string[];
  "fs-mirror"?: string;
}

export const toolchainCommand: Command = async (argv, io) => {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      env: { type: "string" },
      json: { type: "boolean" },
      platform: { type: "string", multiple: true },
      "fs-mirror": { type: "string" },
    },
    USAGE,
    { positionals: true, help: HELP },
  );
  if (!values.env) throw new UsageError("--env is required", USAGE);
  const [action, ...extra] = positionals;
  if (action === "lock" && extra.length === 0) return writeLock(io, values.env, values);
  if (action !== undefined)
    throw new UsageError(`unexpected ${JSON.stringify(positionals.join(" "))}`, USAGE);
  const { terraform, opentofu, aws } = pinnedManifest(io, values.env).toolchain;
  io.stdout(
    values.json
      ? `${JSON.stringify({ environment: values.env, terraform, opentofu, aws })}\n`
      : `terraform=${terraform}\nopentofu=${opentofu}\naws=${aws}\n`,
  );
  return EXIT.ok;
};
