import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run as tandem } from "../src/cli.ts";
import { REPO, releasedRoot } from "@tandem/generator/testing";

async function issuer(root: string, env: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await tandem(["drill", "--env", env, "--issuer"], {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    cwd: root,
    env: {},
    root,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("tandem drill --issuer", () => {
  it("prints the manifest's compute.auth.issuer, the token the drill's payments carry", async () => {
    const root = releasedRoot();
    mkdirSync(join(root, "environments"));
    copyFileSync(
      join(REPO, "environments", "staging.yaml"),
      join(root, "environments", "staging.yaml"),
    );
    expect(await issuer(root, "staging")).toEqual({
      code: 0,
      stdout: "https://auth.staging.acme-payments.com\n",
      stderr: "",
    });
  });

  it("reports a manifest's problem with its location and prints no issuer", async () => {
    const root = releasedRoot();
    mkdirSync(join(root, "environments"));
    const text = readFileSync(join(REPO, "environments", "staging.yaml"), "utf8");
    writeFileSync(join(root, "environments", "staging.yaml"), text.replace("account:", "acount:"));
    const bad = await issuer(root, "staging");
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/environments\/staging\.yaml/);
  });
});
