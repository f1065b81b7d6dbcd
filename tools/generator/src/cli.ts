import { CompositionError, ManifestProblems, UsageError } from "./errors.ts";
import { EXIT, type Command, type CommandIo } from "./io.ts";
import { formatProblem } from "./manifest/index.ts";

/** Each command is imported only when run, so `validate` never loads cdktf. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  validate: {
    summary: "check manifests: every problem, located",
    load: async () => (await import("./commands/validate.ts")).validateCommand,
  },
  synth: {
    summary: "write every module and environment as Terraform JSON under dist/",
    load: async () => (await import("./commands/synth.ts")).synthCommand,
  },
  preview: {
    summary: "summarize deployments (and what changed since --base) with no credentials",
    load: async () => (await import("./commands/preview.ts")).previewCommand,
  },
  affected: {
    summary: "list deployments whose synthesized content differs between two refs",
    load: async () => (await import("./commands/affected.ts")).affectedCommand,
  },
  release: {
    summary: "snapshot a module's current version under modules/<domain>/releases/",
    load: async () => (await import("./commands/release.ts")).releaseCommand,
  },
  docs: {
    summary: "regenerate (or --check) each module's README from the module",
    load: async () => (await import("./commands/docs.ts")).docsCommand,
  },
  workflows: {
    summary: "rewrite (or --check) the parts of .github/workflows/ that come from the manifests",
    load: async () => (await import("./commands/workflows.ts")).workflowsCommand,
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`,
  );
  return `usage: tandem <command> [options]\n\n${lines.join("\n")}\n`;
}

/** Runs one command line; every user mistake ends as a message and an exit code. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`tandem: unknown command "${name}"\n${help()}`);
    return EXIT.usage;
  }
  try {
    return await (
      await command.load()
    )(rest, io);
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: CommandIo): number {
  if (error instanceof UsageError) {
    io.stderr(`tandem: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof ManifestProblems) {
    for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
    io.stderr(`${error.problems.length} problem(s); nothing was written\n`);
    return EXIT.invalid;
  }
  if (error instanceof CompositionError) {
    io.stderr(`tandem: ${error.message}\n`);
    return EXIT.invalid;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`tandem: internal error: ${message}\n`);
  if (io.env.TANDEM_DEBUG) io.stderr(`${(error as Error).stack ?? ""}\n`);
  else io.stderr("(set TANDEM_DEBUG=1 for the stack trace)\n");
  return EXIT.invalid;
}
