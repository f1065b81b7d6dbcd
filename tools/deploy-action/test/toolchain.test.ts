/**
 * The pinned toolchain at init, with the real binaries: a binary other than the tree's pin is
 * refused before anything runs, and `init -lockfile=readonly` refuses a provider that does not
 * match the root's committed lock, with the bump instruction.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_TOOLCHAIN, parseLock } from "@tandem/generator";
import { providerEnv } from "@tandem/sandbox";
import { Refusal } from "../src/errors.ts";
import { Terraform, type Tool } from "../src/terraform.ts";
import { findTool, FixtureRepo, REPO_ROOT } from "./fixtures.ts";

const COMMITTED = readFileSync(join(REPO_ROOT, "environments/staging.terraform.lock.hcl"), "utf8");
const BUMP =
  "run `tandem toolchain lock --env staging` and commit the pin with the lock file it writes, in a pull request of its own";
const mirror = process.env.TANDEM_PROVIDER_MIRROR;

for (const tool of ["terraform", "tofu"] as const satisfies Tool[]) {
  const found = findTool(tool);
  describe.skipIf("missing" in found)(`${tool}: the pinned toolchain at init`, () => {
    const bin = "bin" in found ? found.bin : tool;
    let repo: FixtureRepo;
    let scratch: string;
    beforeEach(() => {
      repo = new FixtureRepo("staging");
      scratch = mkdtempSync(join(tmpdir(), "tandem-toolchain-"));
    });
    afterEach(() => {
      repo.remove();
      rmSync(scratch, { recursive: true, force: true });
    });

    const root = () => join(repo.dir, "us-east-1");
    const terraform = (env: Record<string, string> = {}) =>
      new Terraform({ tool, bin, pluginCacheDir: join(scratch, "cache"), env });
    /** The root requires hashicorp/aws at the pin, with `lock` as its committed lock. */
    function requireAws(lock: string): void {
      const file = join(root(), "main.tf.json");
      const json = JSON.parse(readFileSync(file, "utf8")) as { terraform: object };
      const aws = { source: "hashicorp/aws", version: DEFAULT_TOOLCHAIN.aws };
      json.terraform = { ...json.terraform, required_providers: { aws } };
      writeFileSync(file, JSON.stringify(json));
      writeFileSync(join(root(), ".terraform.lock.hcl"), lock);
    }
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => expect.unreachable("init was not refused"),
        (error: unknown) => {
          expect(error).toBeInstanceOf(Refusal);
          return (error as Error).message;
        },
      );

    it("refuses a binary other than the version the tree pins, before anything runs", async () => {
      const file = join(repo.dir, "deployments.json");
      const tree = JSON.parse(readFileSync(file, "utf8")) as {
        toolchain: Record<string, string>;
      };
      const key = tool === "tofu" ? "opentofu" : "terraform";
      tree.toolchain[key] = "1.10.9";
      writeFileSync(file, JSON.stringify(tree));
      const version = await terraform().version();
      expect(await refusal(terraform().init(root()))).toBe(
        `${tool} ${version} is not the 1.10.9 that environments/staging.yaml pins (toolchain.${key}): nothing was run. Install ${tool} 1.10.9 (the setup action installs the pin), or move the pin to ${version} in a pull request of its own`,
      );
      expect(existsSync(join(root(), ".terraform"))).toBe(false);
    });

    it("refuses a provider version that is not the one locked, with the bump instruction", async () => {
      requireAws(COMMITTED.replaceAll(`"${DEFAULT_TOOLCHAIN.aws}"`, '"5.99.0"'));
      const message = await refusal(terraform().init(root()));
      expect(message).toMatch(
        /^the providers do not match environments\/staging\.terraform\.lock\.hcl, so init was refused \(.*5\.99\.0.*\): /,
      );
      expect(message.endsWith(BUMP)).toBe(true);
      expect(existsSync(join(root(), ".terraform", "providers"))).toBe(false);
    });

    describe.skipIf(!mirror)(
      `with the provider mirror${mirror ? "" : " (skipped: TANDEM_PROVIDER_MIRROR is not set)"}`,
      () => {
        const fromMirror = () => terraform(providerEnv(scratch) as Record<string, string>);

        it("inits with the committed lock, narrowed to this tool's registry, and leaves it as it is", async () => {
          requireAws(COMMITTED);
          await fromMirror().init(root());
          const lock = parseLock(readFileSync(join(root(), ".terraform.lock.hcl"), "utf8"));
          const registry = tool === "tofu" ? "registry.opentofu.org" : "registry.terraform.io";
          expect(lock.map((l) => [l.address, l.version])).toEqual([
            [`${registry}/hashicorp/aws`, DEFAULT_TOOLCHAIN.aws],
          ]);
          expect(lock[0]!.hashes).toEqual(parseLock(COMMITTED)[0]!.hashes);
        });

        it("refuses the provider package when its hash is not the locked one", async () => {
          requireAws(
            COMMITTED.replace(/"h1:[^"]+"/g, '"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="'),
          );
          const message = await refusal(fromMirror().init(root()));
          expect(message).toMatch(/checksums/);
          expect(message.endsWith(BUMP)).toBe(true);
        });
      },
    );
  });
}
