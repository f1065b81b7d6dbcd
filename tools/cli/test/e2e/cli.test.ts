import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bareRepo, scratchRepo, tandem } from "./scratch.ts";

const COMMANDS = ["validate", "synth", "preview", "affected", "release", "docs"];

describe("the tandem command line", () => {
  const cwd = bareRepo();

  it("prints the usage with exit 2 when no command is given, exit 0 when help is asked for", async () => {
    const none = await tandem(cwd, []);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/^usage: tandem <command> \[options\]\n/);
    for (const command of COMMANDS)
      expect(none.stdout).toMatch(new RegExp(`^ {2}${command} +\\S`, "m"));
    for (const help of ["--help", "-h", "help"]) {
      expect(await tandem(cwd, [help])).toEqual({ code: 0, stdout: none.stdout, stderr: "" });
    }
  });

  it("rejects an unknown command with exit 2, naming it", async () => {
    const result = await tandem(cwd, ["sinth"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^tandem: unknown command "sinth"\nusage: tandem/);
  });

  it("rejects an unknown option with exit 2 and the command's usage", async () => {
    for (const command of COMMANDS) {
      const result = await tandem(cwd, [command, "--bogus"]);
      expect(result.code, command).toBe(2);
      expect(result.stderr, command).toMatch(
        new RegExp(`^tandem ${command}: .*'--bogus'.*\nusage: tandem ${command} `),
      );
    }
  });

  it("reports an internal error in one line without a stack trace, unless TANDEM_DEBUG is set", async () => {
    const broken = bareRepo();
    writeFileSync(join(broken, "environments"), "a file where a folder belongs");
    const quiet = await tandem(broken, ["synth"]);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toBe("");
    const lines = quiet.stderr.trimEnd().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^tandem synth: internal error: ENOTDIR: not a directory/),
      "(set TANDEM_DEBUG=1 for the stack trace)",
    ]);

    const debug = await tandem(broken, ["synth"], { TANDEM_DEBUG: "1" });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain(lines[0]);
    expect(debug.stderr).toMatch(/^ {4}at .*environments\.ts/m);
  });

  it("says so, with exit 2, when --base is used outside a git repository", async () => {
    const result = await tandem(cwd, ["affected", "--base", "HEAD"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^tandem affected: comparing with a git ref needs a git repository: /,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("names the file of a broken release snapshot, in one line, with exit 1", async () => {
    const repo = scratchRepo();
    const pinned = /^\s+dns: (\S+)$/m.exec(
      readFileSync(join(repo, "environments/prod.yaml"), "utf8"),
    )![1]!;
    const file = `modules/dns/releases/${pinned}/main.tf.json`;
    writeFileSync(join(repo, file), "{ not json");
    const broken = await tandem(repo, ["synth", "--env", "prod"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      new RegExp(`^tandem synth: ${file.replace(/[.]/g, "\\.")}: not valid JSON \\(.+\\)\n$`),
    );
  });
});
