/** One located problem of a manifest. */
export interface Problem {
  /** The file as given (relative to the working directory). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** Key path such as `networking.cidrs.us-west-2`; "" for the document itself. */
  path: string;
  message: string;
}

/**
 * A mistake in how a command was called: exit 2, never a stack trace. Printed as
 * `tandem <command>: <message>` and, when given, `usage: <usage>` on the next line.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** `--help` or `-h` was given: `text` goes to stdout and the command exits 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super("help requested");
  }
}

/** Manifests with problems: the validator's located errors, nothing synthesized. */
export class ManifestProblems extends Error {
  constructor(readonly problems: Problem[]) {
    super(`${problems.length} manifest problem(s)`);
  }
}

/**
 * A mistake in the modules rather than the manifests: a release snapshot that cannot be read,
 * or a pinned version lacking an input or output the composition needs. Exit 1, one line.
 */
export class CompositionError extends Error {}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * User text made safe to print on one line: control characters (newlines, escape sequences,
 * bidirectional overrides) become visible escapes, so nothing a manifest or an argument says
 * can start a new line (a GitHub Actions workflow command such as `::warning`) or drive the
 * terminal.
 */
export function printable(text: string): string {
  return text.replace(
    CONTROL,
    (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** User text in a message: quoted and printable. */
export const quote = (text: string): string => `"${printable(text)}"`;
