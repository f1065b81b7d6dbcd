import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootstrapFiles, bootstrapRoots } from "../src/compose/bootstrap.ts";
import { composeEnvironment } from "../src/compose/deployments.ts";
import { CompositionError } from "../src/errors.ts";
import { formatProblem, loadEnvironment } from "../src/manifest/index.ts";
import { releasedRoot } from "../src/testing.ts";
import { lockForTool, lockProblem, parseLock } from "../src/toolchain.ts";
import {
  contractModule,
  contractResolver,
  exampleEnvironment,
  REPO,
  TOOLCHAIN,
} from "./helpers.ts";

const COMMITTED = readFileSync(join(REPO, "environments/staging.terraform.lock.hcl"), "utf8");
const BUMP =
  "run `tandem toolchain lock --env staging` and commit the pin with the lock file it writes, in a pull request of its own";

/** A repository root with staging's manifest and, unless `lock` is null, a lock file. */
function stagingRoot(lock: string | null = COMMITTED, edit = (text: string) => text): string {
  const root = releasedRoot();
  mkdirSync(join(root, "environments"));
  const manifest = readFileSync(join(REPO, "environments/staging.yaml"), "utf8");
  writeFileSync(join(root, "environments/staging.yaml"), edit(manifest));
  if (lock !== null) writeFileSync(join(root, "environments/staging.terraform.lock.hcl"), lock);
  return root;
}

const problems = (root: string, providerLocks: "require" | "read" = "require") =>
  loadEnvironment("environments/staging.yaml", { root, providerLocks }).problems.map(formatProblem);

describe("the committed provider lock", () => {
  it("holds hashicorp/aws at the pin for both registries, with the same package's h1 hash", () => {
    const entries = parseLock(COMMITTED);
    expect(entries.map((e) => [e.address, e.version])).toEqual([
      ["registry.opentofu.org/hashicorp/aws", "5.100.0"],
      ["registry.terraform.io/hashicorp/aws", "5.100.0"],
    ]);
    for (const entry of entries) expect(entry.hashes[0]).toMatch(/^h1:[A-Za-z0-9+/]{43}=$/);
    expect(lockProblem("staging", "5.100.0", COMMITTED)).toBeUndefined();
  });

  it("a lock of another version is a located problem with the bump instruction", () => {
    const root = stagingRoot(COMMITTED.replaceAll('"5.100.0"', '"5.99.0"'));
    expect(problems(root)).toEqual([
      `environments/staging.yaml:2:1: toolchain.aws: is 5.100.0 but environments/staging.terraform.lock.hcl locks registry.opentofu.org/hashicorp/aws 5.99.0: ${BUMP}`,
    ]);
    // A tree from history only reads its lock (it may predate it); `tandem validate` reads none.
    expect(problems(root, "read")).toEqual([]);
  });

  it("points at toolchain.aws when the manifest pins it, and a missing lock says what to run", () => {
    const root = stagingRoot(null, (text) => `${text}\ntoolchain: { aws: 5.100.0 }\n`);
    const line =
      readFileSync(join(root, "environments/staging.yaml"), "utf8").split("\n").length - 1;
    expect(problems(root)).toEqual([
      `environments/staging.yaml:${line}:19: toolchain.aws: environments/staging.terraform.lock.hcl is missing: ${BUMP}`,
    ]);
  });

  it("a lock without hashicorp/aws, or without hashes, is refused", () => {
    expect(lockProblem("staging", "5.100.0", "# empty\n")).toBe(
      `environments/staging.terraform.lock.hcl locks no hashicorp/aws provider: ${BUMP}`,
    );
    const unhashed = COMMITTED.replace(/"h1:[^"]+",\n/, "");
    expect(lockProblem("staging", "5.100.0", unhashed)).toBe(
      `environments/staging.terraform.lock.hcl has no hashes for registry.opentofu.org/hashicorp/aws: ${BUMP}`,
    );
  });

  it("each tool gets only its own registry's entry", () => {
    for (const [tool, registry] of [
      ["terraform", "registry.terraform.io"],
      ["tofu", "registry.opentofu.org"],
    ] as const) {
      const entries = parseLock(lockForTool(COMMITTED, tool));
      expect(entries.map((e) => e.address)).toEqual([`${registry}/hashicorp/aws`]);
      expect(entries[0]!.hashes).toEqual(parseLock(COMMITTED)[0]!.hashes);
    }
  });
});

describe("synthesized roots pin the toolchain", () => {
  const staging = { ...exampleEnvironment("staging"), providerLock: COMMITTED };

  it("require hashicorp/aws at exactly toolchain.aws, a tool version range, and carry the lock", () => {
    const roots = composeEnvironment(staging, contractResolver, TOOLCHAIN);
    for (const root of roots) {
      expect(root.root.terraform).toMatchObject({
        required_version: ">= 1.11.0",
        required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } },
      });
      expect(root.providerLock).toBe(COMMITTED);
    }
    const relocked = composeEnvironment(
      { ...staging, providerLock: `${COMMITTED}\n` },
      contractResolver,
      TOOLCHAIN,
    );
    // A new lock changes what Terraform reads, so the root counts as changed (affected).
    expect(relocked.map((r) => r.sha256)).not.toEqual(roots.map((r) => r.sha256));
  });

  it("refuse a pin outside the range of a module the root calls, naming it", () => {
    const narrow = (domain: string, version: string) =>
      domain === "dns"
        ? {
            ...contractResolver(domain, version),
            files: contractModule(domain, (json) => {
              json.terraform.required_providers.aws!.version = ">= 6.0.0";
            }),
          }
        : contractResolver(domain as "networking", version);
    expect(() => composeEnvironment(staging, narrow, TOOLCHAIN)).toThrow(
      new CompositionError(
        "staging: toolchain.aws 5.100.0 is outside the hashicorp/aws range dns@1.0.0 accepts (>= 6.0.0)",
      ),
    );
  });

  it("give the bootstrap root the account's one pin and lock; two pins in one account are refused", () => {
    const dev = exampleEnvironment("dev").manifest;
    const [account] = bootstrapRoots([dev, staging.manifest], TOOLCHAIN, new Map([["dev", "L"]]));
    expect(account!.main.terraform).toEqual({
      required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } },
    });
    expect(
      new TextDecoder().decode(
        bootstrapFiles([account!]).get(`${account!.path}/.terraform.lock.hcl`),
      ),
    ).toBe("L");
    const bumped = {
      ...staging.manifest,
      toolchain: { ...staging.manifest.toolchain, aws: "5.101.0" },
    };
    expect(() => bootstrapRoots([dev, bumped], TOOLCHAIN)).toThrow(
      "account 123456789012: its bootstrap root serves dev, staging with one hashicorp/aws, but toolchain.aws differs (dev 5.100.0, staging 5.101.0): bump every environment of the account together, in one pull request of its own",
    );
  });
});
