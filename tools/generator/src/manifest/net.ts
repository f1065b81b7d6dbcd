/** IPv4 CIDR blocks and DNS names: the pure checks behind the manifest's network rules. */
import { VPC_PREFIX } from "@tandem/module-kit/limits";

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const OCTET = /^(0|[1-9]\d{0,2})$/;
/** The networking module's own limits (it validates `cidr_block` with the same range). */
export const MIN_PREFIX = VPC_PREFIX.min;
export const MAX_PREFIX = VPC_PREFIX.max;

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

/** RFC 1918 section 3: the address space reserved for private networks. */
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
const PRIVATE_RANGES = PRIVATE.map((text) => parseCidr(text)!);

/** Parses `a.b.c.d/n` (no leading zeros, octets 0-255, prefix 0-32); host bits are kept. */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5);
  if (!octets.every((o) => OCTET.test(o) && Number(o) <= 255)) return undefined;
  const prefix = Number(m[5]);
  if (prefix > 32 || (m[5]!.length > 1 && m[5]!.startsWith("0"))) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + Number(o), 0);
  return { base, prefix };
}

/** Why `text` is not a usable VPC CIDR block, or undefined. */
export function cidrProblem(text: string): string | undefined {
  const cidr = parseCidr(text);
  if (!cidr) return `\`${text}\` is not an IPv4 CIDR block such as 10.0.0.0/16`;
  if (cidr.prefix < MIN_PREFIX || cidr.prefix > MAX_PREFIX) {
    return `prefix /${cidr.prefix} is outside /${MIN_PREFIX} to /${MAX_PREFIX}: an AWS VPC block is at most a /16, and the networking module needs at least a /20: each public subnet is the block's prefix + 8, which must stay within AWS's smallest subnet (/28)`;
  }
  const network = (cidr.base & mask(cidr.prefix)) >>> 0;
  if (network !== cidr.base) {
    return `\`${text}\` has host bits set: the network address is ${dotted(network)}/${cidr.prefix}`;
  }
  if (!PRIVATE_RANGES.some((range) => contains(range, cidr))) {
    return `\`${text}\` is outside the private ranges of RFC 1918 (${PRIVATE.join(", ")}): the VPC's local route would capture traffic to those addresses, so the internet hosts that own them become unreachable through NAT`;
  }
  return undefined;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const m = mask(Math.min(a.prefix, b.prefix));
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

/** Whether `outer` includes all of `inner`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && overlaps(outer, inner);
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Names that can never be delegated to a public hosted zone, and why. */
function reservedReason(name: string): string | undefined {
  const undelegable =
    "it can never be delegated to a Route 53 public zone, so the failover records would not resolve; use a domain you own";
  const base = /(^|\.)(example\.(com|net|org))$/.exec(name);
  if (base)
    return `\`${name}\` is under ${base[2]}, reserved for documentation (RFC 2606): ${undelegable}`;
  const tld = name.slice(name.lastIndexOf(".") + 1);
  if (tld === "local") {
    return `\`.local\` is reserved for multicast DNS (RFC 6762, a special-use name under RFC 6761): resolvers never ask Route 53 for it, so the seed's swap of example.com for .local cannot work; use a domain you own`;
  }
  if (["example", "test", "invalid", "localhost"].includes(tld)) {
    return `\`.${tld}\` is a reserved top-level domain (RFC 2606, special-use under RFC 6761): ${undelegable}`;
  }
  return undefined;
}

/** Why `name` is not a valid, delegable DNS name for the environment, or undefined. */
export function domainProblem(name: string): string | undefined {
  if (name === "") return "must be a DNS name such as pay.acme-payments.com";
  if (name.endsWith(".")) return `write \`${name.slice(0, -1)}\` without the trailing dot`;
  if (name !== name.toLowerCase()) return `must be lower case: \`${name.toLowerCase()}\``;
  if (name.length > 253) return `is ${name.length} characters; a DNS name has at most 253`;
  const labels = name.split(".");
  if (labels.length < 2)
    return `\`${name}\` needs at least two labels, such as pay.acme-payments.com`;
  for (const label of labels) {
    if (label === "") return `\`${name}\` has an empty label`;
    if (label.length > 63)
      return `label \`${label.slice(0, 16)}…\` is ${label.length} characters; a DNS label has at most 63`;
    if (!LABEL.test(label)) {
      return `label \`${label}\` may contain only letters, digits and hyphens, and may not start or end with a hyphen`;
    }
  }
  if (/^[0-9]+$/.test(labels.at(-1)!))
    return `\`${name}\` ends in a numeric label: an IP address is not a domain`;
  return reservedReason(name);
}
