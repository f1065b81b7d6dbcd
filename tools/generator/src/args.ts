import { parseArgs, type ParseArgsConfig } from "node:util";

import { UsageError } from "./errors.ts";

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
