/**
 * Fixture repositories: dist/environments/<env>/ with three roots made of the built-in
 * `terraform_data` resource on a local backend, and a deployments.json like synth writes.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { History } from "../src/context.ts";
import { loadDeployments, type Deployment } from "../src/deployments.ts";
import { Refusal } from "../src/errors.ts";
import type { Tool } from "../src/terraform.ts";
import { findTool as findSandboxTool } from "@tandem/sandbox";
import { DEFAULT_TOOLCHAIN } from "@tandem/generator";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The binary for a tool, or why it is missing (the caller skips with that message). */
export function findTool(tool: Tool): { bin: string } | { missing: string } {
  const found = findSandboxTool(tool, REPO_ROOT);
  if (found) return { bin: found.bin };
  return {
    missing: `${tool} not found (PATH, TANDEM_${tool.toUpperCase()}_BIN or .tools/bin; npm test builds OpenTofu: tools/setup/install-test-tools.sh go)`,
  };
}

/** The fixture trees pin the binaries found here, which the runner tests run. */
export const FIXTURE_TOOLCHAIN = {
  terraform: findSandboxTool("terraform", REPO_ROOT)?.version ?? DEFAULT_TOOLCHAIN.terraform,
  opentofu: findSandboxTool("tofu", REPO_ROOT)?.version ?? DEFAULT_TOOLCHAIN.opentofu,
  aws: DEFAULT_TOOLCHAIN.aws,
};

export interface RootSpec {
  name: string;
  region: string;
  role: string;
  dependsOn: string[];
  /** terraform_data resources: name → input value (a change of value replaces it). */
  resources: Record<string, string>;
}

export const STAGING_ROOTS: RootSpec[] = [
  {
    name: "us-east-1",
    region: "us-east-1",
    role: "primary",
    dependsOn: [],
    resources: { vpc: "10.0.0.0/16", table: "payments-v1" },
  },
  {
    name: "us-west-2",
    region: "us-west-2",
    role: "secondary",
    dependsOn: ["us-east-1"],
    resources: { vpc: "10.1.0.0/16", table: "payments-v1" },
  },
  {
    name: "global",
    region: "us-east-1",
    role: "global",
    dependsOn: ["us-east-1", "us-west-2"],
    resources: { zone: "pay.staging.acme-payments.com" },
  },
];

/** The backend block of a root: local state beside it unless a test gives another. */
export type Backend = (root: string) => Record<string, unknown>;
const LOCAL: Backend = () => ({ local: { path: "terraform.tfstate" } });

function rootJson(spec: RootSpec, backend: Backend): string {
  const resource = Object.fromEntries(
    Object.entries(spec.resources).map(([name, input]) => [
      name,
      { input, triggers_replace: [input] },
    ]),
  );
  return `${JSON.stringify(
    {
      terraform: { backend: backend(spec.name) },
      resource: { terraform_data: resource },
      output: Object.fromEntries(
        Object.keys(spec.resources).map((n) => [n, { value: `\${terraform_data.${n}.output}` }]),
      ),
    },
    null,
    2,
  )}\n`;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export class FixtureRepo {
  readonly root: string;
  /** Main's commits, oldest first: the roots' specs at each. */
  private readonly commits: { sha: string; specs: RootSpec[] }[] = [];

  constructor(
    readonly environment = "staging",
    private specs: RootSpec[] = structuredClone(STAGING_ROOTS),
    private readonly backend: Backend = LOCAL,
  ) {
    this.root = mkdtempSync(join(tmpdir(), "tandem-action-repo-"));
    // The RTO budget comes from the real manifest and released modules through the generator.
    mkdirSync(join(this.root, "environments"));
    if (existsSync(join(REPO_ROOT, "environments", `${environment}.yaml`)))
      copyFileSync(
        join(REPO_ROOT, "environments", `${environment}.yaml`),
        join(this.root, "environments", `${environment}.yaml`),
      );
    symlinkSync(join(REPO_ROOT, "modules"), join(this.root, "modules"));
    this.write();
  }

  get dir(): string {
    return join(this.root, "dist", "environments", this.environment);
  }

  /** Rewrites every root and deployments.json (as synth would after a change). */
  write(): void {
    const deployments: Deployment[] = this.specs.map((spec) => {
      const text = rootJson(spec, this.backend);
      mkdirSync(join(this.dir, spec.name), { recursive: true });
      writeFileSync(join(this.dir, spec.name, "main.tf.json"), text);
      return {
        name: spec.name,
        region: spec.region,
        role: spec.role,
        dependsOn: spec.dependsOn,
        sha256: sha256(text),
        modules: {},
      };
    });
    writeFileSync(
      join(this.dir, "deployments.json"),
      `${JSON.stringify({ deployments, environment: this.environment, toolchain: FIXTURE_TOOLCHAIN }, null, 2)}\n`,
    );
  }

  /** Records the roots as they are now as main's next commit. */
  commit(sha: string): void {
    this.commits.push({ sha, specs: structuredClone(this.specs) });
  }

  /** Writes the roots as they were at a commit (a checkout and synth). */
  checkout(sha: string): void {
    const at = this.commits.find((c) => c.sha === sha);
    if (!at) throw new Error(`no commit ${sha} in the fixture`);
    this.specs = structuredClone(at.specs);
    this.write();
  }

  /** Main's history as apply reads it; treeAt checks the commit out. */
  history(): History {
    const shas = () => this.commits.map((c) => c.sha);
    return {
      mergesSince: async (base, head) => {
        const end = shas().indexOf(head);
        if (end < 0) throw new Error(`no commit ${head} in the fixture`);
        if (!base) return [head];
        const start = shas().indexOf(base);
        if (start < 0 || start > end) throw new Refusal(`${head} does not descend from ${base}`);
        return shas().slice(start + 1, end + 1);
      },
      treeAt: async (sha) => {
        this.checkout(sha);
        return loadDeployments(this.root, this.environment);
      },
    };
  }

  setResource(root: string, name: string, input: string): void {
    this.specs.find((s) => s.name === root)!.resources[name] = input;
    this.write();
  }

  state(root: string):
    | {
        resources: {
          name: string;
          instances: { attributes: { input: { value: string } | string } }[];
        }[];
      }
    | undefined {
    const file = join(this.dir, root, "terraform.tfstate");
    return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
  }

  /** The input each terraform_data resource has in the root's state. */
  applied(root: string): Record<string, string> {
    const state = this.state(root);
    return Object.fromEntries(
      (state?.resources ?? []).map((r) => {
        const input = r.instances[0]!.attributes.input;
        return [r.name, typeof input === "string" ? input : input.value];
      }),
    );
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
