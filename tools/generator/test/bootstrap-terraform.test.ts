import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { bootstrapFiles, bootstrapRoots } from "../src/compose/bootstrap.ts";
import { manifestSchema } from "../src/manifest/schema.ts";
import { REPO, TOOLCHAIN } from "./helpers.ts";

/**
 * `terraform validate` of each bootstrap root against the real AWS provider: from the filesystem
 * mirror TANDEM_PROVIDER_MIRROR names (the folder holding registry.terraform.io/hashicorp/aws/...)
 * where there is one, else downloaded by `terraform init` as usual.
 */
const mirror = process.env.TANDEM_PROVIDER_MIRROR;
const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" });
const skipReason =
  terraform.status !== 0
    ? "no terraform binary on the PATH"
    : mirror && !existsSync(join(mirror, "registry.terraform.io/hashicorp/aws"))
      ? `TANDEM_PROVIDER_MIRROR=${mirror} holds no registry.terraform.io/hashicorp/aws`
      : undefined;
if (skipReason) console.warn(`bootstrap terraform validate skipped: ${skipReason}`);

const work = mkdtempSync(join(tmpdir(), "tandem-bootstrap-tf-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const manifests = ["dev", "staging", "prod"].map((name) =>
  manifestSchema.parse(parse(readFileSync(join(REPO, "environments", `${name}.yaml`), "utf8"))),
);
const withExistingProvider = manifestSchema.parse({
  ...(parse(readFileSync(join(REPO, "environments", "prod.yaml"), "utf8")) as object),
  github: {
    repository: "acme-payments/payments-infra",
    oidcProviderArn: "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com",
  },
});

/** A CLI configuration that installs providers from the mirror only, when there is one. */
function mirrorConfig(): { TF_CLI_CONFIG_FILE?: string } {
  if (!mirror) return {};
  const config = join(work, "terraformrc");
  writeFileSync(
    config,
    `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`,
  );
  return { TF_CLI_CONFIG_FILE: config };
}

function validate(dir: string) {
  const env = {
    ...process.env,
    ...mirrorConfig(),
    TF_IN_AUTOMATION: "1",
    TF_DATA_DIR: join(dir, ".terraform"),
    CHECKPOINT_DISABLE: "1",
  };
  const run = (...args: string[]) =>
    execFileSync("terraform", [`-chdir=${dir}`, ...args], {
      env,
      encoding: "utf8",
      timeout: 90_000,
    });
  run("init", "-input=false", "-backend=false", "-no-color");
  return JSON.parse(run("validate", "-json", "-no-color")) as {
    valid: boolean;
    diagnostics: {
      severity: string;
      summary: string;
      detail?: string;
      range?: { filename: string };
    }[];
  };
}

/** Each root as a module of one wrapper, so the provider's schema loads once for all. */
function writeWrapper(cases: { name: string; files: Map<string, Uint8Array> }[]) {
  const dir = join(work, "wrapper");
  for (const { name, files } of cases) {
    for (const [path, bytes] of files) {
      const file = join(dir, name, path.split("/").slice(2).join("/"));
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, bytes);
    }
  }
  const modules = Object.fromEntries(cases.map(({ name }) => [name, { source: `./${name}` }]));
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ module: modules }));
  return dir;
}

describe.skipIf(skipReason !== undefined)("bootstrap roots under terraform validate", () => {
  it("every root (both accounts, and one with an existing OIDC provider) is valid, without warnings", () => {
    const cases = [
      ...bootstrapRoots(manifests, TOOLCHAIN).map((root) => ({
        name: `account_${root.account}`,
        files: bootstrapFiles([root]),
      })),
      {
        name: "existing_oidc_provider",
        files: bootstrapFiles(bootstrapRoots([withExistingProvider], TOOLCHAIN)),
      },
    ];
    const result = validate(writeWrapper(cases));
    const said = result.diagnostics.map(
      (d) => `${d.severity}: ${d.summary}: ${d.detail ?? ""} (${d.range?.filename ?? "?"})`,
    );
    expect(said).toEqual([]);
    expect(result.valid).toBe(true);
  }, 120_000);
});
