/** What a command may touch of the outside world, so tests can run it in-process. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Directory that relative paths given on the command line are relative to. */
  cwd: string;
  env: Record<string, string | undefined>;
  /**
   * The repository's top-level folder (found from `cwd` by `run`): where environments/,
   * modules/ and dist/ are, and what printed output paths such as dist/... are relative to.
   */
  root?: string;
}

/** What a command receives: `root` is always known. */
export type CommandContext = CommandIo & { root: string };

export type Command = (argv: string[], io: CommandContext) => Promise<number>;

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;
