/** `tandem drill` with TANDEM_DRILL_WORLD: a wrong value is a clear error that changes nothing. */
import { describe, expect, it } from "vitest";
import { run as tandem } from "../src/cli.ts";
import { REPO } from "@tandem/generator/testing";

async function drill(world: string) {
  const root = REPO; // read only: the drill stops at its world before it touches anything
  const out: string[] = [];
  const err: string[] = [];
  const code = await tandem(["drill", "--env", "staging", "--json"], {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    cwd: root,
    env: { TANDEM_DRILL_WORLD: world },
    root,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("tandem drill on a runner-given world", () => {
  it("takes only a loopback address, saying so without a stack trace", async () => {
    const result = await drill("https://drill.example.com");
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      'tandem drill: TANDEM_DRILL_WORLD must be an http://127.0.0.1:<port> address of a served emulation, not "https://drill.example.com"\n',
    );
  });

  it("says when no emulation answers there", async () => {
    const result = await drill("http://127.0.0.1:1");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^tandem drill: TANDEM_DRILL_WORLD=http:\/\/127\.0\.0\.1:1: no emulation answers/,
    );
  });
});
