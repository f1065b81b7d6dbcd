import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseDocument } from "yaml";
import { WORKFLOW_BLOCKS, type WorkflowEnvironment } from "./blocks.ts";
import { blockLines, findBlocks, MarkerError, replaceBlocks } from "./markers.ts";

export { workflowEnvironment, WORKFLOW_BLOCKS, type WorkflowEnvironment } from "./blocks.ts";
export { findBlocks, replaceBlocks, MarkerError } from "./markers.ts";

export const WORKFLOWS_DIR = ".github/workflows";

/** A workflow file that cannot be updated: its path (relative to the root), a line, a message. */
export class WorkflowFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

export interface StaleBlock {
  name: string;
  /** 1-based line of the begin marker. */
  line: number;
  found: string[];
  expected: string[];
}

export interface WorkflowUpdate {
  /** Relative to the repository root. */
  file: string;
  before: string;
  after: string;
  stale: StaleBlock[];
}

function workflowFiles(root: string): string[] {
  const dir = join(root, WORKFLOWS_DIR);
  const present = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    : [];
  return [...new Set([...present, ...Object.keys(WORKFLOW_BLOCKS)])].sort();
}

function updateOne(
  root: string,
  name: string,
  environments: readonly WorkflowEnvironment[],
): WorkflowUpdate {
  const file = `${WORKFLOWS_DIR}/${name}`;
  const expected = WORKFLOW_BLOCKS[name] ?? {};
  const path = join(root, file);
  if (!existsSync(path))
    throw new WorkflowFileError(file, 1, "is missing; it must exist with its generated blocks");
  const before = readFileSync(path, "utf8");
  let blocks;
  try {
    blocks = findBlocks(before);
  } catch (error) {
    if (error instanceof MarkerError) throw new WorkflowFileError(file, error.line, error.message);
    throw error;
  }
  for (const block of blocks) {
    if (!(block.name in expected)) {
      const known = Object.keys(expected).join(", ") || "none";
      throw new WorkflowFileError(
        file,
        block.begin + 1,
        `unknown generated block "${block.name}" (this file's blocks: ${known})`,
      );
    }
  }
  const missing = Object.keys(expected).filter((n) => !blocks.some((b) => b.name === n));
  if (missing.length > 0)
    throw new WorkflowFileError(
      file,
      1,
      `lacks the generated block(s) ${missing.map((n) => `"${n}"`).join(", ")}; add "# tandem:generated begin <name>" and "# tandem:generated end <name>" where each belongs`,
    );
  const contents = new Map(
    Object.entries(expected).map(([n, content]) => [n, content(environments)]),
  );
  const stale = blocks.flatMap((block) => {
    const found = blockLines(before, block);
    const wanted = contents.get(block.name)!;
    return found.join("\n") === wanted.join("\n")
      ? []
      : [{ name: block.name, line: block.begin + 1, found, expected: wanted }];
  });
  const after = stale.length === 0 ? before : replaceBlocks(before, contents);
  const doc = parseDocument(after, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const line = doc.errors[0]!.linePos?.[0].line ?? 1;
    throw new WorkflowFileError(
      file,
      line,
      `is not valid YAML once generated: ${doc.errors[0]!.message.split("\n")[0]}`,
    );
  }
  return { file, before, after, stale };
}

/**
 * What `tandem workflows` would change: every workflow with the generated blocks its manifests
 * imply. Reads only; throws WorkflowFileError before anything is written.
 */
export function planWorkflowUpdates(
  root: string,
  environments: readonly WorkflowEnvironment[],
): WorkflowUpdate[] {
  const sorted = [...environments].sort((a, b) => a.name.localeCompare(b.name));
  return workflowFiles(root).map((name) => updateOne(root, name, sorted));
}

/** Temp file beside the target, then rename: a reader sees the old file or the new one. */
export function writeFileAtomically(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Lines removed and added, for a message that says what differs. */
function lineDiff(found: string[], expected: string[]): string[] {
  const gone = found.filter((line) => !expected.includes(line)).map((line) => `    - ${line}`);
  const added = expected.filter((line) => !found.includes(line)).map((line) => `    + ${line}`);
  const lines = [...gone, ...added];
  return lines.length > 0 ? lines : ["    (the same lines, in another order or indentation)"];
}

/** `file:line: generated block "x" is out of date` and the lines that differ. */
export function describeStale(update: WorkflowUpdate): string[] {
  return update.stale.flatMap((block) => [
    `${update.file}:${block.line}: generated block "${block.name}" is out of date:`,
    ...lineDiff(block.found, block.expected),
  ]);
}
