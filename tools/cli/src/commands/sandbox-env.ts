import { parseCommandArgs } from "../args.ts";
import { printable, quote, UsageError } from "@tandem/generator";
import { EXIT, type CommandContext } from "../command.ts";

const USAGE =
  "tandem sandbox env --env <env> --as plan|apply|drill [--repository <owner/name>] [--event <event>] " +
  "[--environment <github environment>|--no-environment] [--ref <ref>] [--name <sandbox>] [--json]";
const HELP = `Credentials of one of the environment's roles on an applied sandbox, obtained as a GitHub
job obtains them: a token from the sandbox's OIDC issuer (GitHub's claims; the job defaults to the
step's: plan a pull request, apply a push to main in the environment, drill a dispatch in
drill-<env>), then AssumeRoleWithWebIdentity through the sandbox's IAM gateway, which checks the
role's trust. Prints shell exports (eval "$(tandem sandbox env ...)") or, with --json, the
credentials. A token the trust refuses exits 1 naming the condition.`;

/** `tandem sandbox env`: the shell exports of a role's credentials on the sandbox. */
export async function sandboxEnvCommand(argv: string[], io: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      env: { type: "string" },
      as: { type: "string" },
      repository: { type: "string" },
      event: { type: "string" },
      environment: { type: "string" },
      "no-environment": { type: "boolean" },
      ref: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean" },
    },
    USAGE,
    { help: HELP },
  );
  if (!values.env) throw new UsageError("--env is required", USAGE);
  const sandbox = await import("@tandem/sandbox");
  const kind = values.as;
  if (!sandbox.ROLE_KINDS.some((k) => k === kind)) {
    throw new UsageError(`--as must be plan, apply or drill, not ${quote(kind ?? "")}`, USAGE);
  }
  if (values.repository !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(values.repository)) {
    throw new UsageError(
      `--repository must be <owner>/<name>, not ${quote(values.repository)}`,
      USAGE,
    );
  }
  if (values.environment !== undefined && values["no-environment"]) {
    throw new UsageError("--environment and --no-environment exclude each other", USAGE);
  }
  const githubEnvironment = values["no-environment"] ? "" : values.environment;
  try {
    const credentials = await sandbox.sandboxEnv({
      repoRoot: io.root,
      environment: values.env,
      as: kind as (typeof sandbox.ROLE_KINDS)[number],
      ...(values.name ? { name: values.name } : {}),
      ...(values.repository ? { repository: values.repository } : {}),
      ...(values.event ? { event: values.event } : {}),
      ...(githubEnvironment !== undefined ? { githubEnvironment } : {}),
      ...(values.ref ? { ref: values.ref } : {}),
    });
    if (values.json) io.stdout(`${JSON.stringify(credentials, null, 2)}\n`);
    else {
      const exports = Object.entries(sandbox.envVariables(credentials));
      io.stdout(`# ${credentials.role} (sub ${printable(credentials.subject)})\n`);
      io.stdout(exports.map(([key, value]) => `export ${key}=${shellQuote(value)}\n`).join(""));
    }
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof sandbox.SandboxError)) throw error;
    io.stderr(`tandem sandbox env: ${printable(error.message)}\n`);
    return EXIT.invalid;
  }
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
