import { describe, expect, it } from "vitest";
import { createLog } from "../src/log.ts";
import { commandsRead } from "./workflow-commands.ts";

const HOSTILE = [
  '+ input = "x"',
  "::set-output name=changed::[]",
  "  ::add-mask::visible",
  "::endgroup::",
  "prefix ##[set-env name=PATH;]/tmp",
  "::stop-commands::guess",
  "::guess::",
].join("\n");

describe("logging text from a manifest or a plan", () => {
  it("under GitHub Actions, no line of it is read as a workflow command", () => {
    const out: string[] = [];
    const log = createLog((t) => out.push(t), true);
    log.untrusted(HOSTILE);
    log.info("staging/::set-output name=x::y: applied");
    log.info("staging/us-east-1: applied");
    const text = out.join("");
    expect(commandsRead(text)).toEqual([]);
    expect(text).toContain("::set-output name=changed::[]");
    expect(out[2]).toBe("staging/us-east-1: applied\n");
  });

  it("fences with a fresh random token each time", () => {
    const out: string[] = [];
    const log = createLog((t) => out.push(t), true);
    log.untrusted("a");
    log.untrusted("a");
    const tokens = out.map((t) => /^::stop-commands::([0-9a-f]{32})\n/.exec(t)?.[1]);
    expect(tokens[0]).toBeDefined();
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it("the checker itself sees commands in unfenced text", () => {
    expect(commandsRead(HOSTILE)).toEqual([
      "::set-output name=changed::[]",
      "::add-mask::visible",
      "::endgroup::",
      "prefix ##[set-env name=PATH;]/tmp",
    ]);
  });

  it("outside Actions, prints the text as it is", () => {
    const out: string[] = [];
    createLog((t) => out.push(t), false).untrusted(HOSTILE);
    expect(out.join("")).toBe(`${HOSTILE}\n`);
  });
});
