import { parseArgs, type ParseArgsConfig } from "node:util";
import { HelpRequested, printable, UsageError } from "@tandem/generator";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * The one way a command reads its arguments, so every command behaves alike:
 *
 *   const { values, positionals } = parseCommandArgs(argv, { env: { type: "string" } },
 *     "tandem thing [--env <name>]", { positionals: true, help: "What it does, in a line or two." });
 *
 * - `--help` / `-h` prints `usage: …`, the description and the options, and exits 0 (it throws
 *   HelpRequested, which `run` in cli.ts turns into stdout and exit 0): no command handles it.
 * - A malformed command line throws UsageError(message, usage); `run` prints it as
 *   `tandem <command>: <message>` and `usage: <usage>`, exit 2. Commands that find a mistake
 *   later (a missing required option, an unknown name) throw `new UsageError(message, usage)`
 *   the same way, with user text in the message passed through `quote`.
 */
export function parseCommandArgs<T extends Options>(
  argv: string[],
  options: T,
  usage: string,
  more: boolean | { positionals?: boolean; help?: string } = false,
) {
  const { positionals = false, help = "" } =
    typeof more === "boolean" ? { positionals: more } : more;
  const withHelp: Options = { ...options, help: { type: "boolean", short: "h" } };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: withHelp,
      allowPositionals: positionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(printable((error as Error).message), usage);
  }
  if (parsed.values.help) throw new HelpRequested(helpText(usage, help, options));
  delete parsed.values.help;
  return parsed as unknown as Parsed<T>;
}

type Parsed<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
>;

function helpText(usage: string, description: string, options: Options): string {
  const lines = Object.entries(options).map(([name, option]) => {
    const value = option.type === "string" ? ` <${name}>` : "";
    return `  --${name}${value}${option.multiple ? " (repeatable)" : ""}`;
  });
  lines.push("  -h, --help  this help");
  return `usage: ${usage}\n${description ? `\n${description.trim()}\n` : ""}\noptions:\n${lines.join("\n")}\n`;
}
