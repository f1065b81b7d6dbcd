// Issue 13, class 4 (an invalid manifest at either ref is an error) and the `affected` part of
// class 2 (a manifest at a ref that is a link to a device).
import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { commit, edit, scratchRepo, tandem } from "../e2e/scratch.ts";

describe("manifests read at a git ref", () => {
  let repo: string;
  let valid: string;
  let invalid: string;

  beforeAll(() => {
    repo = scratchRepo();
    valid = commit(repo, "valid");
    edit(repo, "environments/staging.yaml", (text) =>
      text.replace(/^account: .*$/m, 'account: "12345"'),
    );
    invalid = commit(repo, "staging with a short account id");
    edit(repo, "environments/staging.yaml", (text) =>
      text.replace('account: "12345"', 'account: "123456789012"'),
    );
  });

  const located = (ref: string) =>
    new RegExp(`^${ref}:environments/staging\\.yaml:\\d+:\\d+: account: `, "m");

  it.each([
    ["affected --head", () => ["affected", "--base", valid, "--head", invalid], () => invalid],
    ["affected --base", () => ["affected", "--base", invalid, "--head", valid], () => invalid],
    ["affected --base with the working tree", () => ["affected", "--base", invalid], () => invalid],
    ["preview --base", () => ["preview", "--env", "staging", "--base", invalid], () => invalid],
  ])("%s: the ref's problems, located as <ref>:<file>:line:col, exit 1", async (_, argv, ref) => {
    const result = await tandem(repo, argv());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(located(ref()));
    expect(result.stderr).toMatch(/problem\(s\); nothing was written\n$/);
  });

  it("the same manifest in the working tree is an error the same way", async () => {
    edit(repo, "environments/staging.yaml", (text) =>
      text.replace('account: "123456789012"', 'account: "12345"'),
    );
    try {
      const result = await tandem(repo, ["affected", "--base", valid]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^environments\/staging\.yaml:\d+:\d+: account: /m);
    } finally {
      edit(repo, "environments/staging.yaml", (text) =>
        text.replace('account: "12345"', 'account: "123456789012"'),
      );
    }
  });

  it("a manifest at a ref that links to a device is refused at once, located", async () => {
    symlinkSync("/dev/zero", join(repo, "environments/zero.yaml"));
    const linked = commit(repo, "a manifest linking to /dev/zero");
    rmSync(join(repo, "environments/zero.yaml"));
    const clean = commit(repo, "link removed");
    const result = await tandem(repo, ["affected", "--base", linked, "--head", clean]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${linked}:environments/zero.yaml:1:1: is a character device, not a regular file\n`,
    );
  });

  it("a commit with no manifests at all still compares (it predates the environments)", async () => {
    const empty = join(repo, "environments");
    rmSync(empty, { recursive: true });
    const none = commit(repo, "no environments");
    writeFileSync(join(repo, "README.md"), "restored below\n");
    const result = await tandem(repo, ["affected", "--base", none, "--head", none, "--json"]);
    expect(result).toEqual({ code: 0, stdout: '{\n  "deployments": []\n}\n', stderr: "" });
  });
});
