import { Fn, Op, TerraformLocal, Token, ref, type IResolvable } from "cdktf";
import { awsContext, type ModuleStack } from "@tandem/module-kit";

export type Role = "primary" | "secondary";

/** `count` of a resource that exists only in one role of the region pair. */
export function onlyIn(roleVar: string, role: Role): number {
  return Token.asNumber(Fn.conditional(Op.eq(roleVar, role), 1, 0));
}

/**
 * An attribute of a counted (or ephemeral) resource: its value in the role that creates it,
 * null in the other. `one()` keeps the expression valid in both roles, where `address[0]`
 * would fail on the empty list even in the branch a conditional does not take.
 */
export function single(stack: ModuleStack, address: string, attribute: string): string {
  return Token.asString(Fn.one(ref(`${address}[*].${attribute}`, stack)));
}

/**
 * Whether this root's cluster carries the master credentials: the primary role's, while its
 * region writes. After a failover the secondary's cluster writes with the credentials it
 * replicated; the primary role's cluster then joins (or stays) a secondary, and Aurora refuses a
 * database name or master user on a cluster that joins a global database as a secondary.
 */
export function carriesCredentials(
  stack: ModuleStack,
  inputs: { role: string; writerRegion: string },
): IResolvable {
  const region = awsContext(stack).region;
  // Op.eq(x, "") renders `undefined` for the empty string: contains() tests it as a list item.
  const primaryWrites = Fn.contains(["", region], inputs.writerRegion);
  return new TerraformLocal(
    stack,
    "carries_master_credentials",
    Op.and(Op.eq(inputs.role, "primary"), primaryWrites),
  ).asBoolean;
}

/** `value` where the cluster carries the master credentials, null elsewhere. */
export function withCredentials<T>(carries: IResolvable, value: T): T {
  return Fn.conditional(carries, value, null) as T;
}
