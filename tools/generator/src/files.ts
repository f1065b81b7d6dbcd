import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

/** What a file system entry is, in words, for "… is a directory, not a manifest". */
export function describeKind(stats: Stats): string {
  if (stats.isFile()) return "a regular file";
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a named pipe (FIFO)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

export type ReadResult = { bytes: Uint8Array } | { problem: string };

/**
 * Reads a regular file of at most `maxBytes`, refusing anything else before reading a byte.
 * Opened non-blocking, so a FIFO never waits for a writer; its kind and size come from the
 * open descriptor (no race with a rename between a stat and the read), and a file that grows
 * while read is refused rather than read without end.
 */
export function readRegularFile(path: string, maxBytes: number, what = "file"): ReadResult {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? error})` };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { problem: `is ${describeKind(stats)}, not a regular file` };
    if (stats.size > maxBytes)
      return { problem: `is ${stats.size} bytes; a ${what} is at most ${maxBytes} bytes` };
    const bytes = new Uint8Array(stats.size + 1);
    let length = 0;
    for (let n; length < bytes.length; length += n) {
      n = readSync(fd, bytes, length, bytes.length - length, null);
      if (n === 0) break;
    }
    if (length > stats.size) return { problem: "changed size while it was read" };
    return { bytes: bytes.subarray(0, length) };
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? error})` };
  } finally {
    closeSync(fd);
  }
}
