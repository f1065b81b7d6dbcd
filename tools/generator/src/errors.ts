import type { Problem } from "./manifest/index.ts";

/** A mistake in how a command was called: exit 2 with a usage line, never a stack trace. */
export class UsageError extends Error {}

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
