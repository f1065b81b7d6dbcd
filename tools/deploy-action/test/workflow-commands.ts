/**
 * The runner's reading of a log, as far as safety goes: `::stop-commands::<token>` stops all
 * command processing until a line `::<token>::`; otherwise a line whose trimmed text starts with
 * `::` (v2) or holds `##[` (v1) is a command.
 */
export function commandsRead(log: string): string[] {
  const read: string[] = [];
  let stopToken: string | undefined;
  for (const raw of log.split("\n")) {
    const line = raw.trim();
    if (stopToken !== undefined) {
      if (line === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) {
      stopToken = stop[1];
      continue;
    }
    if (line.startsWith("::") || line.includes("##[")) read.push(line);
  }
  return read;
}
