import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake in how a command was called: exit 2 with a usage line, never a stack trace. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `node:util` parseArgs, with its errors turned into usage errors that show `usage`. */
export function parseCommandArgs<T extends Options>(
  argv: string[],
  options: T,
  usage: string,
  positionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: ${usage}`);
  }
}
