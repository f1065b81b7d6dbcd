/** A mistake in the inputs or the repository: reported as one clear line, never a stack trace. */
export class UserError extends Error {}
