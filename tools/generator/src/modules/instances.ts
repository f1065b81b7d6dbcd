import type { TerraformModuleJson } from "@tandem/module-kit";

/*
 * How many instances a resource block of a module creates for given inputs: its `count` or
 * `for_each` evaluated with a small subset of Terraform's expression language (literals,
 * `var.` and `local.`, == != && || ! ?:, comparisons, arithmetic, lists, objects and a few
 * functions). Whatever depends on data sources, other resources, other modules or an
 * unsupported construct is UNKNOWN: a count is then unknown, never guessed.
 */

export const UNKNOWN: unique symbol = Symbol("unknown");
type Value =
  string | number | boolean | null | typeof UNKNOWN | Value[] | { readonly [key: string]: Value };

/** Variables of one module call: the inputs the root passes, already evaluated. */
export interface Scope {
  variables: Record<string, Value>;
  locals: Record<string, unknown>;
}

/** The number of instances of each resource block (`<type>.<name>`), or UNKNOWN. */
export function instanceCounts(
  json: TerraformModuleJson,
  inputs: Record<string, unknown>,
): Map<string, number | typeof UNKNOWN> {
  const variables: Record<string, Value> = {};
  for (const [name, declaration] of Object.entries(json.variable ?? {})) {
    const given = Object.hasOwn(inputs, name) ? inputs[name] : undefined;
    const fallback = (declaration as { default?: unknown }).default;
    variables[name] =
      given !== undefined
        ? literal(given, rootScope)
        : fallback !== undefined
          ? (fallback as Value)
          : UNKNOWN;
  }
  const scope: Scope = {
    variables,
    locals: (json as { locals?: Record<string, unknown> }).locals ?? {},
  };
  const counts = new Map<string, number | typeof UNKNOWN>();
  for (const [type, blocks] of Object.entries(json.resource ?? {})) {
    for (const [name, block] of Object.entries(blocks as Record<string, Record<string, unknown>>))
      counts.set(`${type}.${name}`, blockCount(block, scope));
  }
  return counts;
}

/** Inputs are written in the root, where only literals are known. */
const rootScope: Scope = { variables: {}, locals: {} };

function blockCount(block: Record<string, unknown>, scope: Scope): number | typeof UNKNOWN {
  if ("count" in block) {
    const count = literal(block.count, scope);
    return typeof count === "number" && Number.isInteger(count) && count >= 0 ? count : UNKNOWN;
  }
  if ("for_each" in block) {
    const each = literal(block.for_each, scope);
    if (Array.isArray(each)) return distinctCount(each);
    if (each !== null && typeof each === "object") return Object.keys(each).length;
    return UNKNOWN;
  }
  return 1;
}

function distinctCount(items: Value[]): number | typeof UNKNOWN {
  if (items.some(hasUnknown)) return UNKNOWN;
  return new Set(items.map((item) => JSON.stringify(item))).size;
}

function hasUnknown(value: Value): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(hasUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasUnknown);
  return false;
}

/** A JSON value of Terraform JSON syntax: strings are templates, the rest is literal. */
export function literal(value: unknown, scope: Scope, depth = 0): Value {
  if (depth > 32) return UNKNOWN;
  if (typeof value === "string") return template(value, scope, depth);
  if (Array.isArray(value)) return value.map((item) => literal(item, scope, depth + 1));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, literal(inner, scope, depth + 1)]),
    );
  return value as Value;
}

function template(text: string, scope: Scope, depth: number): Value {
  const start = text.indexOf("${");
  if (start < 0) return text;
  const end = closing(text, start + 2);
  if (start === 0 && end === text.length - 1) return expression(text.slice(2, -1), scope, depth);
  return UNKNOWN; // interpolation inside a longer string: not needed for counts
}

/** Index of the `}` closing the interpolation whose body starts at `from`, or -1. */
function closing(text: string, from: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

type Token = { kind: "number" | "string" | "name" | "op"; text: string; value?: Value };

const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "=>", ..."!?:()[]{},.<>+-*/%=".split("")];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < source.length;) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(rest);
    const name = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest);
    if (number) {
      tokens.push({ kind: "number", text: number[0], value: Number(number[0]) });
      i += number[0].length;
    } else if (name) {
      tokens.push({ kind: "name", text: name[0] });
      i += name[0].length;
    } else if (rest[0] === '"') {
      const string = /^"((?:[^"\\$]|\\.)*)"/.exec(rest);
      if (!string) throw new Unsupported();
      tokens.push({ kind: "string", text: string[0], value: JSON.parse(string[0]) as string });
      i += string[0].length;
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o));
      if (!op) throw new Unsupported();
      tokens.push({ kind: "op", text: op });
      i += op.length;
    }
  }
  return tokens;
}

class Unsupported extends Error {}

function expression(source: string, scope: Scope, depth: number): Value {
  try {
    const parser = new Parser(tokenize(source), scope, depth);
    const value = parser.conditional();
    if (!parser.done()) return UNKNOWN;
    return value;
  } catch (error) {
    if (error instanceof Unsupported) return UNKNOWN;
    throw error;
  }
}

const equal = (a: Value, b: Value) => JSON.stringify(a) === JSON.stringify(b);

/** Recursive descent over the subset; any other construct throws Unsupported. */
class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly scope: Scope,
    private readonly depth: number,
  ) {}

  done(): boolean {
    return this.at === this.tokens.length;
  }

  private peek(text?: string): boolean {
    const token = this.tokens[this.at];
    return (
      token !== undefined && (text === undefined || (token.kind === "op" && token.text === text))
    );
  }

  private take(text: string): void {
    if (!this.peek(text)) throw new Unsupported();
    this.at++;
  }

  conditional(): Value {
    const condition = this.binary(0);
    if (!this.peek("?")) return condition;
    this.take("?");
    const yes = this.conditional();
    this.take(":");
    const no = this.conditional();
    if (condition === UNKNOWN)
      return !hasUnknown(yes) && !hasUnknown(no) && equal(yes, no) ? yes : UNKNOWN;
    if (typeof condition !== "boolean") throw new Unsupported();
    return condition ? yes : no;
  }

  private static readonly LEVELS = [
    ["||"],
    ["&&"],
    ["==", "!="],
    ["<", ">", "<=", ">="],
    ["+", "-"],
    ["*", "/", "%"],
  ];

  private binary(level: number): Value {
    if (level === Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = Parser.LEVELS[level]!.find((o) => this.peek(o));
      if (!op) return left;
      this.at++;
      left = apply(op, left, this.binary(level + 1));
    }
  }

  private unary(): Value {
    if (this.peek("!")) {
      this.at++;
      const value = this.unary();
      return value === UNKNOWN ? UNKNOWN : typeof value === "boolean" ? !value : fail();
    }
    if (this.peek("-")) {
      this.at++;
      const value = this.unary();
      return value === UNKNOWN ? UNKNOWN : typeof value === "number" ? -value : fail();
    }
    return this.postfix(this.primary());
  }

  private postfix(value: Value): Value {
    for (;;) {
      if (this.peek(".")) {
        this.at++;
        const name = this.tokens[this.at++];
        if (name?.kind !== "name") throw new Unsupported();
        value = member(value, name.text);
      } else if (this.peek("[")) {
        this.at++;
        const index = this.conditional();
        this.take("]");
        value = member(value, index);
      } else return value;
    }
  }

  private primary(): Value {
    const token = this.tokens[this.at++];
    if (!token) throw new Unsupported();
    if (token.kind === "number" || token.kind === "string") return token.value!;
    if (token.kind === "op") {
      if (token.text === "(") {
        const value = this.conditional();
        this.take(")");
        return value;
      }
      if (token.text === "[") return this.list();
      if (token.text === "{") return this.object();
      throw new Unsupported();
    }
    if (token.text === "true") return true;
    if (token.text === "false") return false;
    if (token.text === "null") return null;
    if (token.text === "for") throw new Unsupported();
    if (this.peek("(")) return this.call(token.text);
    return this.reference(token.text);
  }

  private reference(head: string): Value {
    if (head !== "var" && head !== "local") {
      this.skipReference();
      return UNKNOWN; // a resource, data source, module, each, count or path
    }
    this.take(".");
    const name = this.tokens[this.at++];
    if (name?.kind !== "name") throw new Unsupported();
    if (head === "var")
      return Object.hasOwn(this.scope.variables, name.text)
        ? this.scope.variables[name.text]!
        : UNKNOWN;
    if (!Object.hasOwn(this.scope.locals, name.text)) return UNKNOWN;
    return literal(this.scope.locals[name.text], this.scope, this.depth + 1);
  }

  /** Consumes `.a.b[*].c` after an unknown root, so the rest of the expression still parses. */
  private skipReference(): void {
    for (;;) {
      if (this.peek(".")) this.at += 2;
      else if (this.peek("[")) {
        this.at++;
        if (this.peek("*")) this.at++;
        else this.conditional();
        this.take("]");
      } else return;
    }
  }

  private list(): Value[] {
    const items: Value[] = [];
    if (this.tokens[this.at]?.text === "for") throw new Unsupported();
    while (!this.peek("]")) {
      items.push(this.conditional());
      if (!this.peek("]")) this.take(",");
    }
    this.take("]");
    return items;
  }

  private object(): Value {
    if (this.tokens[this.at]?.text === "for") throw new Unsupported();
    const entries: [string, Value][] = [];
    while (!this.peek("}")) {
      const key = this.tokens[this.at++];
      if (!key || (key.kind !== "name" && key.kind !== "string")) throw new Unsupported();
      if (this.peek("=")) this.take("=");
      else this.take(":");
      entries.push([key.kind === "string" ? String(key.value) : key.text, this.conditional()]);
      if (this.peek(",")) this.at++;
    }
    this.take("}");
    return Object.fromEntries(entries);
  }

  private call(name: string): Value {
    this.take("(");
    const args: Value[] = [];
    while (!this.peek(")")) {
      args.push(this.conditional());
      if (!this.peek(")")) this.take(",");
    }
    this.take(")");
    return callFunction(name, args);
  }
}

function fail(): never {
  throw new Unsupported();
}

function member(value: Value, key: Value): Value {
  if (value === UNKNOWN || key === UNKNOWN) return UNKNOWN;
  if (Array.isArray(value) && typeof key === "number") return value[key] ?? fail();
  if (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof key === "string"
  )
    return Object.hasOwn(value, key) ? value[key]! : fail();
  throw new Unsupported();
}

function apply(op: string, left: Value, right: Value): Value {
  if (op === "==" || op === "!=") {
    if (hasUnknown(left) || hasUnknown(right)) return UNKNOWN;
    return op === "==" ? equal(left, right) : !equal(left, right);
  }
  if (op === "&&" || op === "||") {
    const short = op === "&&" ? false : true;
    if (left === short || right === short) return short;
    if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
    if (typeof left !== "boolean" || typeof right !== "boolean") throw new Unsupported();
    return !short;
  }
  if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
  if (typeof left !== "number" || typeof right !== "number") throw new Unsupported();
  const result: Record<string, () => Value> = {
    "<": () => left < right,
    ">": () => left > right,
    "<=": () => left <= right,
    ">=": () => left >= right,
    "+": () => left + right,
    "-": () => left - right,
    "*": () => left * right,
    "/": () => left / right,
    "%": () => left % right,
  };
  return result[op]!();
}

function callFunction(name: string, args: Value[]): Value {
  const [first] = args;
  if (args.some((arg) => arg === UNKNOWN)) return UNKNOWN;
  switch (name) {
    case "toset":
    case "distinct":
      if (!Array.isArray(first)) throw new Unsupported();
      if (first.some(hasUnknown)) return UNKNOWN;
      return [
        ...new Map<string, Value>(first.map((item) => [JSON.stringify(item), item])).values(),
      ];
    case "tolist":
      if (!Array.isArray(first)) throw new Unsupported();
      return first;
    case "length":
      if (Array.isArray(first)) return first.length;
      if (typeof first === "string") return [...first].length;
      if (first !== null && typeof first === "object") return Object.keys(first).length;
      throw new Unsupported();
    case "concat":
      if (!args.every(Array.isArray)) throw new Unsupported();
      return (args as Value[][]).flat(1);
    case "min":
    case "max":
      if (!args.every((arg) => typeof arg === "number")) throw new Unsupported();
      return Math[name](...(args as number[]));
    default:
      throw new Unsupported();
  }
}
