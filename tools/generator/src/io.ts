/** What a command may touch of the outside world, so tests can run it in-process. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Directory that relative paths (and printed file names) are relative to. */
  cwd: string;
  env: Record<string, string | undefined>;
}

export type Command = (argv: string[], io: CommandIo) => Promise<number>;

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;
