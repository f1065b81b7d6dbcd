/**
 * Logging of text the action does not control (manifests, plans, Terraform's errors). Under
 * GitHub Actions such text is fenced by `::stop-commands::<token>`: the runner reads nothing in
 * it as a workflow command, and the token is random so the text cannot end the fence itself.
 */
import { randomBytes } from "node:crypto";

/** What the runner could read as a command: `::name::` (v2) or `##[name]` (v1). */
const COMMAND_LIKE = /::|##\[/;

export type Write = (text: string) => void;

const stdout: Write = (text) => {
  process.stdout.write(text);
};

export interface Log {
  /** Our words around names (roots, environments): fenced only if it looks like a command. */
  info(text: string): void;
  /** Text that carries content from a manifest, a plan or Terraform. */
  untrusted(text: string): void;
}

export function createLog(
  write: Write = stdout,
  underActions = process.env.GITHUB_ACTIONS === "true",
): Log {
  return {
    info: (text) => write(COMMAND_LIKE.test(text) ? fenced(text, underActions) : `${text}\n`),
    untrusted: (text) => write(fenced(text, underActions)),
  };
}

export function fenced(text: string, underActions: boolean): string {
  const body = text.endsWith("\n") ? text : `${text}\n`;
  if (!underActions) return body;
  let token = randomBytes(16).toString("hex");
  while (body.includes(token)) token = randomBytes(16).toString("hex");
  return `::stop-commands::${token}\n${body}::${token}::\n`;
}
