import { statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import {
  environmentFiles,
  quote,
  UsageError,
  describeKind,
  formatProblem,
  loadEnvironments,
  type Problem,
} from "@tandem/generator";
import { EXIT, type Command, type CommandContext, type CommandIo } from "../command.ts";

const USAGE = "tandem validate [files...] [--format text|json]";
const HELP = `Checks environment manifests (default: the repository's environments/*.yaml) against the
manifest contract: the schema, the cross-field rules and the released module versions. Every
problem is printed as file:line:col: key.path: message. Nothing is written to disk.

  --format text   problems on stderr, a summary on stdout (default)
  --format json   { "valid": bool, "problems": [...] } on stdout

Exit status: 0 valid, 1 problems found, 2 usage error.
With GITHUB_ACTIONS=true each problem is also an ::error annotation on the pull request.`;

interface Options {
  files: string[];
  format: "text" | "json";
}

function options(argv: string[], io: CommandContext): Options {
  const { values, positionals } = parseCommandArgs(
    argv,
    { format: { type: "string", default: "text" } },
    USAGE,
    { positionals: true, help: HELP },
  );
  const format = values.format;
  if (format !== "text" && format !== "json")
    throw new UsageError(`--format must be text or json, not ${quote(String(format))}`, USAGE);
  return { files: manifestFiles(positionals, io.cwd, () => io.root), format };
}

/** As printed: relative to the working directory where the file lies inside it. */
function shown(full: string, cwd: string, given = full): string {
  const inside = relative(cwd, full);
  return inside.startsWith("..") || isAbsolute(inside) ? given : inside;
}

/** The given files (relative to cwd where they lie inside it), or the repository's manifests. */
function manifestFiles(given: string[], cwd: string, repositoryRoot: () => string): string[] {
  if (given.length === 0) {
    const root = repositoryRoot();
    const found = environmentFiles(root);
    if (found.length === 0)
      throw new UsageError("no manifests: environments/*.yaml matched nothing", USAGE);
    return found.map((file) => {
      const full = resolve(root, file);
      const inside = relative(cwd, full);
      return isAbsolute(inside) ? full : inside;
    });
  }
  return [
    ...new Set(
      given.map((file) => {
        const full = resolve(cwd, file);
        const kind = fileKind(full);
        if (kind === undefined) throw new UsageError(`no such file: ${quote(file)}`, USAGE);
        if (kind !== "a regular file")
          throw new UsageError(`${quote(file)} is ${kind}, not a manifest file`, USAGE);
        return shown(full, cwd, file);
      }),
    ),
  ];
}

function fileKind(path: string): string | undefined {
  try {
    return describeKind(statSync(path));
  } catch {
    return undefined;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function summary(problems: Problem[], files: string[]): string {
  if (problems.length === 0) return `${plural(files.length, "manifest")} valid`;
  const invalid = new Set(problems.map((p) => p.file)).size;
  return `${plural(problems.length, "problem")} in ${invalid} of ${plural(files.length, "manifest")}`;
}

/** A GitHub Actions workflow command; values escaped as @actions/core does. */
export function annotation(p: Problem): string {
  const data = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const property = (s: string) => data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
  const message = p.path === "" ? p.message : `${p.path}: ${p.message}`;
  return `::error file=${property(p.file)},line=${p.line},col=${p.col}::${data(message)}`;
}

/** One write for many lines: a hostile file can have 100,000 problems. */
const lines = (texts: string[]) => texts.map((text) => `${text}\n`).join("");

function report(
  problems: Problem[],
  files: string[],
  format: Options["format"],
  io: CommandIo,
): void {
  const annotate = io.env.GITHUB_ACTIONS === "true";
  if (format === "json") {
    io.stdout(`${JSON.stringify({ valid: problems.length === 0, problems }, null, 2)}\n`);
    // stdout is the JSON document; the runner reads workflow commands from stderr too.
    if (annotate) io.stderr(lines(problems.map(annotation)));
    return;
  }
  io.stderr(lines(problems.map(formatProblem)));
  if (annotate) io.stdout(lines(problems.map(annotation)));
  io.stdout(`${summary(problems, files)}\n`);
}

/** `tandem validate [files...]`: every problem in the manifests, located; writes nothing. */
export const validateCommand: Command = async (argv, io) => {
  const opts = options(argv, io);
  const { problems } = loadEnvironments(opts.files, { root: io.root, cwd: io.cwd });
  report(problems, opts.files, opts.format, io);
  return problems.length === 0 ? EXIT.ok : EXIT.invalid;
};
