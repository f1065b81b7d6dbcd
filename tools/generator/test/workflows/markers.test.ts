import { describe, expect, it } from "vitest";
import { findBlocks, MarkerError, replaceBlocks } from "../../src/workflows/index.ts";

const TEXT = [
  "on:",
  "  # kept: a comment above the block",
  "  # tandem:generated begin crons",
  "  schedule:",
  "    - cron: old # stale",
  "  # tandem:generated end crons",
  "  workflow_dispatch: # kept too",
  "",
].join("\n");

function markerError(text: string): MarkerError {
  try {
    findBlocks(text);
  } catch (error) {
    if (error instanceof MarkerError) return error;
    throw error;
  }
  throw new Error("no MarkerError");
}

describe("generated blocks", () => {
  it("replaces only the lines between the markers, at the marker's indentation", () => {
    const next = replaceBlocks(TEXT, new Map([["crons", ["schedule:", '  - cron: "0 6 * * 1"']]]));
    expect(next).toBe(
      [
        "on:",
        "  # kept: a comment above the block",
        "  # tandem:generated begin crons",
        "  schedule:",
        '    - cron: "0 6 * * 1"',
        "  # tandem:generated end crons",
        "  workflow_dispatch: # kept too",
        "",
      ].join("\n"),
    );
    expect(replaceBlocks(next, new Map([["crons", ["schedule:", '  - cron: "0 6 * * 1"']]]))).toBe(
      next,
    );
  });

  it("empties a block and fills an empty one", () => {
    const empty = replaceBlocks(TEXT, new Map([["crons", []]]));
    expect(empty.split("\n").slice(2, 4)).toEqual([
      "  # tandem:generated begin crons",
      "  # tandem:generated end crons",
    ]);
    expect(replaceBlocks(empty, new Map([["crons", ["a: 1"]]]))).toContain(
      "begin crons\n  a: 1\n  # tandem:generated end crons",
    );
  });

  it("leaves blocks it is given no content for", () => {
    expect(replaceBlocks(TEXT, new Map())).toBe(TEXT);
  });

  it.each([
    ["# tandem:generated begin a\n", 1, 'block "a" has no end marker'],
    ["x: 1\n# tandem:generated end a\n", 2, '"end a" without a matching begin'],
    [
      "# tandem:generated begin a\n# tandem:generated begin b\n",
      2,
      '"b" begins inside "a" (line 1)',
    ],
    ["# tandem:generated begin a\n# tandem:generated end b\n", 2, '"end b" closes "a" (line 1)'],
    [
      "# tandem:generated begin a\n# tandem:generated end a\n# tandem:generated begin a\n# tandem:generated end a\n",
      3,
      'block "a" appears twice',
    ],
    ["  # tandem:generated begin a\n# tandem:generated end a\n", 2, "not indented like its begin"],
    ["# tandem:generated start a\n", 1, "malformed marker"],
    ["x: 1 # tandem:generated begin a\n", 1, "malformed marker"],
  ])("refuses a broken layout: %j", (text, line, message) => {
    const error = markerError(text);
    expect(error.line).toBe(line);
    expect(error.message).toContain(message);
  });
});
