import { parseCommandArgs } from "../args.ts";
import { printable, UsageError } from "@tandem/generator";
import { EXIT, type CommandContext } from "../command.ts";

const USAGE =
  "tandem sandbox outage --env <env> --region <region> [--restore] [--name <sandbox>] [--json]";
const HELP = `Lose a region of the sandbox, as if AWS had lost it: every call to that region's
endpoints through the sandbox's gateway is dropped (the connection is reset at once), and losing
us-east-1 also loses the control planes AWS homes there (IAM, STS's global endpoint, Route 53's
control plane, ...), while Route 53's data plane keeps answering. --restore gives it back. The
outage is kept in dist/sandbox/<name>/outage.json; \`tandem sandbox status\` shows it.`;

/** `tandem sandbox outage`: takes a region away from the sandbox, or gives it back. */
export async function sandboxOutageCommand(argv: string[], io: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      env: { type: "string" },
      region: { type: "string" },
      restore: { type: "boolean" },
      name: { type: "string" },
      json: { type: "boolean" },
    },
    USAGE,
    { help: HELP },
  );
  if (!values.env) throw new UsageError("--env is required", USAGE);
  if (!values.region) throw new UsageError("--region is required", USAGE);
  const sandbox = await import("@tandem/sandbox");
  const name = values.name ?? sandbox.DEFAULT_NAME;
  try {
    const lost = sandbox.setOutage(io.root, {
      environment: values.env,
      region: values.region,
      restore: values.restore === true,
      name,
    });
    if (values.json) io.stdout(`${JSON.stringify({ name, lost }, null, 2)}\n`);
    else
      io.stdout(
        `sandbox ${name}: ${lost.length > 0 ? `lost ${lost.join(", ")}` : "no region lost"}\n`,
      );
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof sandbox.SandboxError)) throw error;
    io.stderr(`tandem sandbox: ${printable(error.message)}\n`);
    return EXIT.invalid;
  }
}
