/** Markdown that cannot be broken by the text it carries (addresses, diffs, errors). */

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** A code span whose delimiter is longer than any backtick run inside. */
export function code(text: string): string {
  const ticks = "`".repeat(longestRun(text, "`") + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text.replace(/\r?\n/g, " ")}${pad}${ticks}`;
}

/** A table cell: a code span with pipes escaped (GitHub splits cells on `|` even inside code). */
export function cell(text: string): string {
  return code(text).replace(/\|/g, "\\|");
}

/** A fence longer than any backtick run in `text`. */
export function fenceTicks(text: string): string {
  return "`".repeat(Math.max(3, longestRun(text, "`") + 1));
}

/** A fenced block whose fence is longer than any backtick run inside. */
export function fence(text: string, info = ""): string {
  const ticks = fenceTicks(text);
  const body = text.endsWith("\n") ? text : `${text}\n`;
  return `${ticks}${info}\n${body}${ticks}`;
}

/** Plain text in a paragraph or a <summary>: no HTML, no markdown. */
export function plain(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|#~])/g, "\\$1");
}

/** `terraform show` text as a `diff` block: the change sign moves to column 0 so GitHub colours it. */
export function diffBody(showText: string): string {
  return showText
    .split("\n")
    .map((line) => {
      const match = /^(\s*)(-\/\+|\+\/-|[+\-~])(\s.*|)$/.exec(line);
      if (!match) return line;
      const sign = match[2] === "+" ? "+" : match[2] === "-" ? "-" : "!";
      return `${sign}${match[1]}${match[3]}`;
    })
    .join("\n");
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function duration(totalSeconds: number): string {
  const m = Math.floor(totalSeconds / 60);
  const s = totalSeconds % 60;
  if (m === 0) return `${s} s`;
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}
