import { statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { environmentFiles } from "../environments.ts";
import { EXIT, type Command, type CommandIo } from "../io.ts";
import { formatProblem, loadEnvironments, type Problem } from "../manifest/index.ts";

const USAGE = "usage: tandem validate [files...] [--format text|json]";
const HELP = `${USAGE}

Checks environment manifests (default: environments/*.yaml) against the manifest contract:
the schema, the cross-field rules and the released module versions. Every problem is printed
as file:line:col: key.path: message. Nothing is written to disk.

  --format text   problems on stderr, a summary on stdout (default)
  --format json   { "valid": bool, "problems": [...] } on stdout
  -h, --help      this help

Exit status: 0 valid, 1 problems found, 2 usage error.
With GITHUB_ACTIONS=true each problem is also an ::error annotation on the pull request.
`;

class Usage extends Error {}

interface Options {
  files: string[];
  format: "text" | "json";
  help: boolean;
}

function options(argv: string[], cwd: string): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        format: { type: "string", default: "text" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new Usage((error as Error).message);
  }
  const { format, help } = parsed.values;
  if (format !== "text" && format !== "json")
    throw new Usage(`--format must be text or json, not "${format}"`);
  if (help) return { files: [], format, help };
  return { files: manifestFiles(parsed.positionals, cwd), format, help };
}

/** The given files (relative to cwd where they lie inside it), or environments/*.yaml. */
function manifestFiles(given: string[], cwd: string): string[] {
  if (given.length === 0) {
    const found = environmentFiles(cwd);
    if (found.length === 0) throw new Usage("no manifests: environments/*.yaml matched nothing");
    return found;
  }
  return [
    ...new Set(
      given.map((file) => {
        const full = resolve(cwd, file);
        if (!isFile(full)) throw new Usage(`no such file: ${file}`);
        const inside = relative(cwd, full);
        return inside.startsWith("..") || isAbsolute(inside) ? file : inside;
      }),
    ),
  ];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
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
    if (annotate) for (const p of problems) io.stderr(`${annotation(p)}\n`);
    return;
  }
  for (const p of problems) io.stderr(`${formatProblem(p)}\n`);
  if (annotate) for (const p of problems) io.stdout(`${annotation(p)}\n`);
  io.stdout(`${summary(problems, files)}\n`);
}

/** `tandem validate [files...]`: every problem in the manifests, located; writes nothing. */
export const validateCommand: Command = async (argv, io) => {
  let opts: Options;
  try {
    opts = options(argv, io.cwd);
  } catch (error) {
    if (!(error instanceof Usage)) throw error;
    io.stderr(`tandem validate: ${error.message} (${USAGE})\n`);
    return EXIT.usage;
  }
  if (opts.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const { problems } = loadEnvironments(opts.files, { root: io.cwd });
  report(problems, opts.files, opts.format, io);
  return problems.length === 0 ? EXIT.ok : EXIT.invalid;
};
