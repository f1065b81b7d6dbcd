import { Fn, Op, Token, ref } from "cdktf";
import type { ModuleStack } from "@tandem/module-kit";

export type Role = "primary" | "secondary";

/** `count` of a resource that exists only in one role of the region pair. */
export function onlyIn(roleVar: string, role: Role): number {
  return Token.asNumber(Fn.conditional(Op.eq(roleVar, role), 1, 0));
}

/** `value` in the primary role, null in the secondary (which inherits it from the global cluster). */
export function inPrimary<T>(roleVar: string, value: T): T {
  return Fn.conditional(Op.eq(roleVar, "primary"), value, null) as T;
}

/**
 * An attribute of a counted (or ephemeral) resource: its value in the role that creates it,
 * null in the other. `one()` keeps the expression valid in both roles, where `address[0]`
 * would fail on the empty list even in the branch a conditional does not take.
 */
export function single(stack: ModuleStack, address: string, attribute: string): string {
  return Token.asString(Fn.one(ref(`${address}[*].${attribute}`, stack)));
}
