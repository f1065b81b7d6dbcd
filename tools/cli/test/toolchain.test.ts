import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { edit, REPO, scratchRepo, tandem } from "./e2e/scratch.ts";

const COMMITTED = readFileSync(join(REPO, "environments/staging.terraform.lock.hcl"), "utf8");
const mirror = process.env.TANDEM_PROVIDER_MIRROR;
const terraformFound = (process.env.PATH ?? "")
  .split(delimiter)
  .some((dir) => existsSync(join(dir, "terraform")));
const PATH = process.env.PATH ?? "";

describe("tandem toolchain", () => {
  const repo = scratchRepo();

  it("prints the pins as key=value lines for $GITHUB_OUTPUT, or as JSON", async () => {
    expect(await tandem(repo, ["toolchain", "--env", "staging"])).toEqual({
      code: 0,
      stdout: "terraform=1.11.4\nopentofu=1.12.6\naws=5.100.0\n",
      stderr: "",
    });
    const json = await tandem(repo, ["toolchain", "--env", "staging", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      environment: "staging",
      terraform: "1.11.4",
      opentofu: "1.12.6",
      aws: "5.100.0",
    });
  });

  it("needs --env and a known subcommand", async () => {
    const none = await tandem(repo, ["toolchain"]);
    expect([none.code, none.stderr.split("\n")[0]]).toEqual([
      2,
      "tandem toolchain: --env is required",
    ]);
    const other = await tandem(repo, ["toolchain", "bump", "--env", "staging"]);
    expect([other.code, other.stderr.split("\n")[0]]).toEqual([
      2,
      'tandem toolchain: unexpected "bump"',
    ]);
  });

  it("synth refuses a lock of another provider version, located, with the bump instruction, and writes nothing", async () => {
    const broken = scratchRepo();
    edit(broken, "environments/staging.terraform.lock.hcl", (text) =>
      text.replaceAll('"5.100.0"', '"5.99.0"'),
    );
    const result = await tandem(broken, ["synth"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "environments/staging.yaml:2:1: toolchain.aws: is 5.100.0 but environments/staging.terraform.lock.hcl locks registry.opentofu.org/hashicorp/aws 5.99.0: run `tandem toolchain lock --env staging` and commit the pin with the lock file it writes, in a pull request of its own",
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(broken, "dist"))).toBe(false);
  });

  describe.skipIf(!mirror || !terraformFound)(
    `lock${!mirror || !terraformFound ? " (skipped: needs terraform and TANDEM_PROVIDER_MIRROR)" : ""}`,
    () => {
      it("writes the committed lock byte for byte: the real hashes of the mirror's provider", async () => {
        const fresh = scratchRepo();
        edit(fresh, "environments/staging.terraform.lock.hcl", () => "");
        const result = await tandem(fresh, ["toolchain", "lock", "--env", "staging"], {
          PATH,
          TANDEM_PROVIDER_MIRROR: mirror!,
          ...(process.env.TANDEM_TOFU_BIN ? { TANDEM_TOFU_BIN: process.env.TANDEM_TOFU_BIN } : {}),
        });
        expect(result.stdout).toBe(
          "environments/staging.terraform.lock.hcl: hashicorp/aws 5.100.0 locked\n",
        );
        expect(result.code).toBe(0);
        const written = readFileSync(
          join(fresh, "environments/staging.terraform.lock.hcl"),
          "utf8",
        );
        // Without OpenTofu only Terraform's entry is written (and the command says so).
        if (result.stderr.includes("tofu not found"))
          expect(COMMITTED).toContain(written.split("\n").slice(3).join("\n"));
        else expect(written).toBe(COMMITTED);
      });
    },
  );
});
