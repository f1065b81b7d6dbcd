/**
 * Generated blocks inside hand-written workflow files, delimited by comment lines:
 *
 *   # tandem:generated begin <name>
 *   ...lines `tandem workflows` owns...
 *   # tandem:generated end <name>
 *
 * Only the lines between a pair are replaced; everything else (comments included) is kept byte
 * for byte. Replacement is line-based, so YAML formatting outside the blocks never changes.
 */

const MARKER = /^([ ]*)# tandem:generated (begin|end) ([a-z0-9][a-z0-9-]*)[ ]*$/;
/** Anything that looks like a marker but is not one exactly (a typo must not pass silently). */
const LOOSE = /tandem:generated/;

export interface Block {
  name: string;
  /** Spaces before the begin marker: the block's lines are indented the same. */
  indent: string;
  /** 0-based line index of the begin marker. */
  begin: number;
  /** 0-based line index of the end marker. */
  end: number;
}

/** A malformed marker layout, at a 1-based line. */
export class MarkerError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** The generated blocks of `text`, in order; throws MarkerError when the markers do not pair. */
export function findBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let open: { name: string; indent: string; begin: number } | undefined;
  lines.forEach((line, index) => {
    const match = MARKER.exec(line);
    if (!match) {
      if (LOOSE.test(line))
        throw new MarkerError(
          index + 1,
          `malformed marker; write "# tandem:generated begin <name>" or "# tandem:generated end <name>" on a line of its own`,
        );
      return;
    }
    const [, indent, kind, name] = match as unknown as [string, string, string, string];
    if (kind === "begin") {
      if (open)
        throw new MarkerError(
          index + 1,
          `"${name}" begins inside "${open.name}" (line ${open.begin + 1})`,
        );
      if (blocks.some((b) => b.name === name))
        throw new MarkerError(index + 1, `block "${name}" appears twice`);
      open = { name, indent, begin: index };
      return;
    }
    if (!open) throw new MarkerError(index + 1, `"end ${name}" without a matching begin`);
    if (open.name !== name)
      throw new MarkerError(
        index + 1,
        `"end ${name}" closes "${open.name}" (line ${open.begin + 1})`,
      );
    if (indent !== open.indent)
      throw new MarkerError(index + 1, `"end ${name}" is not indented like its begin marker`);
    blocks.push({ ...open, end: index });
    open = undefined;
  });
  if (open) throw new MarkerError(open.begin + 1, `block "${open.name}" has no end marker`);
  return blocks;
}

/** The current lines of a block (without the markers), with its indentation removed. */
export function blockLines(text: string, block: Block): string[] {
  return text
    .split("\n")
    .slice(block.begin + 1, block.end)
    .map((line) => (line.startsWith(block.indent) ? line.slice(block.indent.length) : line));
}

/** `text` with each named block's lines replaced by `contents[name]` (unindented lines). */
export function replaceBlocks(text: string, contents: ReadonlyMap<string, string[]>): string {
  const lines = text.split("\n");
  // From the last block up, so earlier line indexes stay valid.
  for (const block of findBlocks(text).reverse()) {
    const next = contents.get(block.name);
    if (next === undefined) continue;
    const indented = next.map((line) => (line === "" ? "" : `${block.indent}${line}`));
    lines.splice(block.begin + 1, block.end - block.begin - 1, ...indented);
  }
  return lines.join("\n");
}
