/** A mistake in the inputs or the repository: reported as one clear line, never a stack trace. */
export class UserError extends Error {}

/** A reason not to apply (nothing reviewed, a different plan, data at risk): reported, not a crash. */
export class Refusal extends Error {}
