/** A rehearsal that cannot start or was set up wrong: said as a message, never a stack trace. */
export class RehearsalError extends Error {}
