import {
  findRepositoryRoot,
  CompositionError,
  HelpRequested,
  ManifestProblems,
  printable,
  quote,
  UsageError,
  formatProblem,
} from "@tandem/generator";
import { EXIT, type Command, type CommandContext, type CommandIo } from "./command.ts";

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
    summary: "regenerate (or --check) the module READMEs and docs/manifest.md",
    load: async () => (await import("./commands/docs.ts")).docsCommand,
  },
  sandbox: {
    summary: "an offline AWS (moto): apply and re-plan every root for real, or run the drill",
    load: async () => (await import("./commands/sandbox.ts")).sandboxCommand,
  },
  drill: {
    summary:
      "DR drill: switch (or, --mode failover, fail) an environment over to its secondary and back, measured",
    load: async () => (await import("./commands/drill.ts")).drillCommand,
  },
  posture: {
    summary:
      "DR posture, read-only: the global cluster's writer and members, health checks, drill flag",
    load: async () => (await import("./commands/posture.ts")).postureCommand,
  },
  toolchain: {
    summary: "print an environment's pinned tool and provider versions, or write its provider lock",
    load: async () => (await import("./commands/toolchain.ts")).toolchainCommand,
  },
  rehearse: {
    summary: "run the repository's workflows with act against the sandbox and a GitHub double",
    load: async () => (await import("./commands/rehearse.ts")).rehearseCommand,
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
  const out = terminalSafe(io);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    out.stdout(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    out.stderr(`tandem: unknown command ${quote(name)}\n${help()}`);
    return EXIT.usage;
  }
  try {
    return await (
      await command.load()
    )(rest, withRoot(out));
  } catch (error) {
    return report(name, error, out);
  }
}

/** The repository root, found on first use: `--help` and argument errors work anywhere. */
function withRoot(io: CommandIo): CommandContext {
  let root = io.root;
  return Object.defineProperty({ ...io }, "root", {
    get: () => (root ??= findRepositoryRoot(io.cwd)),
    enumerable: true,
  }) as CommandContext;
}

/**
 * Output with raw control characters (escape sequences, carriage returns) made visible; the
 * newline stays, so user text must be escaped where it is put in a message (`quote`,
 * `printable`), and then no line can begin where a manifest or an argument chose.
 */
function terminalSafe(io: CommandIo): CommandIo {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
  const clean = (text: string) => text.replace(unsafe, (c) => printable(c));
  return {
    ...io,
    stdout: (text) => io.stdout(clean(text)),
    stderr: (text) => io.stderr(clean(text)),
  };
}

function report(name: string, error: unknown, io: CommandIo): number {
  if (error instanceof HelpRequested) {
    io.stdout(error.text);
    return EXIT.ok;
  }
  if (error instanceof UsageError) {
    const usage = error.usage ? `\nusage: ${error.usage}` : "";
    io.stderr(`tandem ${name}: ${error.message}${usage}\n`);
    return EXIT.usage;
  }
  if (error instanceof ManifestProblems) {
    io.stderr(error.problems.map((problem) => `${formatProblem(problem)}\n`).join(""));
    io.stderr(`${error.problems.length} problem(s); nothing was written\n`);
    return EXIT.invalid;
  }
  if (error instanceof CompositionError) {
    io.stderr(`tandem ${name}: ${error.message}\n`);
    return EXIT.invalid;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`tandem ${name}: internal error: ${printable(message)}\n`);
  if (io.env.TANDEM_DEBUG) io.stderr(`${(error as Error).stack ?? ""}\n`);
  else io.stderr("(set TANDEM_DEBUG=1 for the stack trace)\n");
  return EXIT.invalid;
}
