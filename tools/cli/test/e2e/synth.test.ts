import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import semver from "semver";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { canonicalJson } from "@tandem/module-kit/canonical-json";
import {
  DOMAINS,
  edit,
  editModuleJson,
  readJson,
  readTree,
  scratchRepo,
  tandem,
  type Result,
} from "./scratch.ts";
import { hashFiles } from "@tandem/generator";

interface Root {
  terraform: {
    required_version: string;
    required_providers: Record<string, { source: string; version: string }>;
    backend: Record<string, Record<string, unknown>>;
  };
  provider: Record<string, { region: string; alias?: string; default_tags: { tags: object } }[]>;
  module: Record<string, Record<string, unknown> & { source: string }>;
  data?: Record<string, Record<string, { backend: string; config: Record<string, unknown> }>>;
  output?: Record<string, { value: string }>;
  resource?: unknown;
}

interface DeploymentsJson {
  environment: string;
  deployments: {
    name: string;
    region: string;
    role: string;
    dependsOn: string[];
    modules: Record<string, string>;
    sha256: string;
  }[];
}

interface Manifest {
  name: string;
  account: string;
  regions: { primary: string; secondary: string };
  modules: Record<string, string>;
  tags: Record<string, string>;
  database?: { writer?: string };
}

const ENVIRONMENTS = ["dev", "prod", "staging"];
const REGIONAL = ["backup", "compute", "database", "monitoring", "networking"];
const GLOBAL = ["dns", "monitoring"];
/** Modules with an identity part (their IAM, in the identity root) in the versions dev and staging pin. */
const IDENTITY = ["backup", "compute", "database", "networking"];
/** prod pins versions from before the identity parts, so it has no identity root yet. */
const WITH_IDENTITY = new Set(["dev", "staging"]);

/** Every string in a JSON value, with the key it sits under. */
function strings(value: unknown, key = ""): { key: string; value: string }[] {
  if (typeof value === "string") return [{ key, value }];
  if (Array.isArray(value)) return value.flatMap((item) => strings(item, key));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => strings(v, k));
  return [];
}

function cleanExit(result: Result) {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}

/**
 * A module folder without its README and its subfolders (the identity part is a module of its
 * own, which a root calling the folder never reads): the files Terraform reads.
 */
const terraformFiles = (files: Map<string, Buffer>) =>
  new Map([...files].filter(([name]) => !name.endsWith(".md") && !name.includes("/")));

describe("tandem synth over the real manifests and modules", () => {
  let repo: string;
  let dist: string;
  let synth: Result;
  const manifest = (env: string) =>
    parse(readFileSync(join(repo, "environments", `${env}.yaml`), "utf8")) as Manifest;
  const deployments = (env: string) =>
    readJson<DeploymentsJson>(join(dist, "environments", env, "deployments.json"));
  const rootFile = (env: string, name: string) =>
    join(dist, "environments", env, name, "main.tf.json");
  const rootOf = (env: string, name: string) => readJson<Root>(rootFile(env, name));
  /** The module folder a call's `source` names, resolved as Terraform does: from the root's folder. */
  const moduleDir = (env: string, name: string, source: string) =>
    resolve(dirname(rootFile(env, name)), source);
  const regionalRoots = () =>
    ENVIRONMENTS.flatMap((env) =>
      deployments(env)
        .deployments.filter((d) => d.role === "primary" || d.role === "secondary")
        .map((d) => ({ env, ...d })),
    );

  beforeAll(async () => {
    repo = scratchRepo();
    dist = join(repo, "dist");
    synth = await tandem(repo, ["synth"]);
  });

  it("exits 0 and names every environment it wrote", () => {
    cleanExit(synth);
    for (const env of ENVIRONMENTS) expect(synth.stdout).toContain(`-> dist/environments/${env}/`);
  });

  it("writes each module as main.tf.json, versions.tf.json and README.md (compute adds its handler.zip, the IAM modules their identity part and removed blocks)", () => {
    expect(readdirSync(join(dist, "modules")).sort()).toEqual([...DOMAINS].sort());
    for (const domain of DOMAINS) {
      const expected = ["README.md", "main.tf.json", "versions.tf.json"];
      if (domain === "compute") expected.push("handler.zip");
      if (IDENTITY.includes(domain)) expected.push("identity", "removed.tf.json");
      expect(readdirSync(join(dist, "modules", domain)).sort()).toEqual(expected.sort());
      const versions = readJson<Root>(join(dist, "modules", domain, "versions.tf.json"));
      expect(versions.terraform.required_version).toMatch(/^>= 1\.1[1-9]\./);
    }
  });

  it("writes per environment the primary, secondary and global roots and deployments.json", () => {
    expect(readdirSync(join(dist, "environments")).sort()).toEqual(ENVIRONMENTS);
    for (const env of ENVIRONMENTS) {
      const { primary, secondary } = manifest(env).regions;
      const identity = WITH_IDENTITY.has(env) ? ["identity"] : [];
      expect(readdirSync(join(dist, "environments", env)).sort()).toEqual(
        ["deployments.json", "global", primary, secondary, ...identity].sort(),
      );
      for (const name of [primary, secondary, "global", ...identity])
        expect(readdirSync(join(dist, "environments", env, name)).sort()).toEqual([
          ".terraform.lock.hcl",
          "main.tf.json",
        ]);
    }
  });

  it("describes each deployment in deployments.json: name, region, role, order, resolved module versions", () => {
    for (const env of ENVIRONMENTS) {
      const { regions, modules } = manifest(env);
      const resolved = (domain: string) => {
        const wanted = modules[domain]!;
        if (wanted === "workspace") return wanted;
        const released = readdirSync(join(repo, "modules", domain, "releases"));
        return semver.maxSatisfying(released, wanted)!;
      };
      const versions = (domains: string[]) =>
        Object.fromEntries(domains.map((d) => [d, resolved(d)]));
      const summary = deployments(env);
      expect(summary.environment).toBe(env);
      const identity = WITH_IDENTITY.has(env);
      expect(summary.deployments.map(({ sha256: _, ...rest }) => rest)).toEqual([
        ...(identity
          ? [
              {
                name: "identity",
                region: "us-east-1",
                role: "identity",
                dependsOn: [],
                modules: versions(IDENTITY),
              },
            ]
          : []),
        {
          name: regions.primary,
          region: regions.primary,
          role: "primary",
          dependsOn: identity ? ["identity"] : [],
          modules: versions(REGIONAL),
        },
        {
          name: regions.secondary,
          region: regions.secondary,
          role: "secondary",
          dependsOn: [regions.primary],
          modules: versions(REGIONAL),
        },
        {
          name: "global",
          region: "us-east-1",
          role: "global",
          dependsOn: [regions.primary, regions.secondary],
          modules: versions(GLOBAL),
        },
      ]);
      for (const d of summary.deployments) expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("resolves a semver range to the newest release that satisfies it (staging's database)", () => {
    expect(manifest("staging").modules.database).toMatch(/^\^\d+\.\d+\.\d+$/);
    const staging = deployments("staging").deployments.find((d) => d.role === "primary")!;
    expect(staging.modules.database).toMatch(/^\d+\.\d+\.\d+$/);
    expect(rootOf("staging", staging.name).module.database!.source).toBe(
      `../../../../modules/database/releases/${staging.modules.database}`,
    );
  });

  it("gives each deployment a sha256 anyone can recompute from the root, the module files Terraform reads and its provider lock", () => {
    for (const env of ENVIRONMENTS) {
      for (const d of deployments(env).deployments) {
        const root = rootOf(env, d.name);
        const modules = Object.fromEntries(
          Object.entries(root.module).map(([domain, call]) => [
            domain,
            hashFiles(terraformFiles(readTree(moduleDir(env, d.name, call.source)))),
          ]),
        );
        const providerLock = readFileSync(
          join(dirname(rootFile(env, d.name)), ".terraform.lock.hcl"),
          "utf8",
        );
        const digest = createHash("sha256")
          .update(canonicalJson({ root, modules, providerLock }, 0))
          .digest("hex");
        expect(digest, `${env}/${d.name}`).toBe(d.sha256);
      }
    }
  });

  it("writes every root as canonical JSON (sorted keys, 2-space indent, final newline)", () => {
    for (const env of ENVIRONMENTS) {
      for (const d of deployments(env).deployments) {
        const text = readFileSync(rootFile(env, d.name), "utf8");
        expect(text).toBe(canonicalJson(JSON.parse(text)));
      }
    }
  });

  it("keeps every regional root to its own region: one provider, own-region state, no remote state", () => {
    const roots = regionalRoots();
    expect(roots).toHaveLength(6);
    for (const { env, name, region } of roots) {
      const root = rootOf(env, name);
      const where = `${env}/${name}`;
      expect(Object.keys(root.provider), where).toEqual(["aws"]);
      expect(root.provider.aws, where).toHaveLength(1);
      expect(root.provider.aws![0]!.region, where).toBe(region);
      expect(root.provider.aws![0]!.alias, where).toBeUndefined();
      expect(root.terraform.backend, where).toEqual({
        s3: {
          bucket: expect.stringContaining(region),
          key: `${env}/${name}.tfstate`,
          region,
          encrypt: true,
          kms_key_id: `arn:aws:kms:${region}:${manifest(env).account}:alias/tandem-tfstate`,
          use_lockfile: true,
        },
      });
      // Only the plan-time quota checks (docs/quotas.md): reads of its own region.
      expect(Object.keys(root.data ?? {}), where).toEqual(["aws_servicequotas_service_quota"]);
      expect(root.resource, where).toBeUndefined();
      expect(readFileSync(rootFile(env, name), "utf8"), where).not.toContain(
        "terraform_remote_state",
      );
    }
  });

  it("names the other region in a regional root only in values computed from the manifest", () => {
    for (const { env, name, role } of regionalRoots()) {
      const { account, regions } = manifest(env);
      const other = role === "primary" ? regions.secondary : regions.primary;
      const app = `payments-${env}`;
      // docs/module-wiring.md, "Cross-region values are computed from the manifest".
      const computed =
        role === "primary"
          ? {
              destination_vault_arn: `arn:aws:backup:${other}:${account}:backup-vault:${app}`,
              peer_event_bus_arn: `arn:aws:events:${other}:${account}:event-bus/${app}`,
              secondary_region: other,
              peer_region: other,
            }
          : {
              // backup 1.2.0: the secondary backs up too, copying to the primary's vault.
              destination_vault_arn: `arn:aws:backup:${other}:${account}:backup-vault:${app}`,
              primary_table_arn: `arn:aws:dynamodb:${other}:${account}:table/${app}-sessions`,
              peer_event_bus_arn: `arn:aws:events:${other}:${account}:event-bus/${app}`,
              peer_region: other,
            };
      const root = rootOf(env, name);
      // database 2.1.0 and later: the region whose cluster writes, the primary's by default.
      if (role === "secondary" && root.module.database?.writer_region !== undefined)
        Object.assign(computed, { writer_region: manifest(env).database?.writer ?? other });
      const mentions = strings(root).filter(({ value }) => value.includes(other));
      expect(
        mentions.sort((a, b) => a.key.localeCompare(b.key)),
        `${env}/${name}`,
      ).toEqual(
        Object.entries(computed)
          .map(([key, value]) => ({ key, value }))
          .sort((a, b) => a.key.localeCompare(b.key)),
      );
    }
  });

  it("calls only modules that configure no provider, backend or remote state, nor a per-resource region", () => {
    for (const { env, name } of regionalRoots()) {
      for (const [domain, call] of Object.entries(rootOf(env, name).module)) {
        const json = readJson<Root & Record<string, unknown>>(
          join(moduleDir(env, name, call.source), "main.tf.json"),
        );
        const where = `${env}/${name} module.${domain}`;
        expect(json.provider, where).toBeUndefined();
        expect(json.terraform.backend, where).toBeUndefined();
        expect(Object.keys(json.data ?? {}), where).not.toContain("terraform_remote_state");
        // AWS provider 6 lets any resource or data source set `region`: none may.
        for (const kind of ["resource", "data"] as const) {
          const blocks = (json[kind] ?? {}) as Record<string, Record<string, object>>;
          for (const [type, byName] of Object.entries(blocks)) {
            for (const [block, body] of Object.entries(byName))
              expect(Object.keys(body), `${where} ${type}.${block}`).not.toContain("region");
          }
        }
      }
    }
  });

  it("puts the global root in us-east-1, reading both regional roots' state and outputs they declare", () => {
    for (const env of ENVIRONMENTS) {
      const { regions } = manifest(env);
      const global = rootOf(env, "global");
      expect(global.provider.aws).toHaveLength(1);
      expect(global.provider.aws![0]!.region).toBe("us-east-1");
      expect(global.terraform.backend.s3).toMatchObject({
        key: `${env}/global.tfstate`,
        encrypt: true,
        use_lockfile: true,
      });
      expect(Object.keys(global.data!)).toEqual(["terraform_remote_state"]);
      const remote = global.data!.terraform_remote_state!;
      expect(Object.keys(remote).sort()).toEqual(["primary", "secondary"]);
      for (const role of ["primary", "secondary"] as const) {
        const regional = rootOf(env, regions[role]);
        const { bucket, key, region } = regional.terraform.backend.s3!;
        expect(remote[role], `${env} ${role}`).toEqual({
          backend: "s3",
          config: { bucket, key, region },
        });
        const read = JSON.stringify(global.module).matchAll(
          new RegExp(`terraform_remote_state\\.${role}\\.outputs\\.(\\w+)`, "g"),
        );
        const names = [...new Set([...read].map((m) => m[1]!))];
        expect(names.length, `${env} ${role}`).toBeGreaterThan(0);
        for (const output of names) expect(Object.keys(regional.output!)).toContain(output);
      }
    }
  });

  it("tags every root with the manifest's tags and what built it", () => {
    for (const env of ENVIRONMENTS) {
      const { tags } = manifest(env);
      for (const d of deployments(env).deployments) {
        const modules = Object.entries(d.modules).map(([m, v]) => `${m}@${v}`);
        const applied = rootOf(env, d.name).provider.aws![0]!.default_tags.tags as Record<
          string,
          string
        >;
        expect(applied).toMatchObject({
          ...tags,
          Environment: env,
          ManagedBy: "tandem",
          TandemDeployment: `${env}/${d.name}`,
        });
        expect(applied.TandemModules!.split(" ").sort()).toEqual(modules.sort());
      }
    }
  });

  it("points each module source at the pinned release or, for workspace, at dist/modules/<domain> (identity/ of it in the identity root)", () => {
    for (const env of ENVIRONMENTS) {
      for (const d of deployments(env).deployments) {
        const root = rootOf(env, d.name);
        expect(Object.keys(root.module).sort()).toEqual(Object.keys(d.modules).sort());
        for (const [domain, call] of Object.entries(root.module)) {
          const dir = moduleDir(env, d.name, call.source);
          const version = d.modules[domain]!;
          expect(existsSync(join(dir, "main.tf.json")), `${env}/${d.name} ${domain}`).toBe(true);
          const folder =
            version === "workspace"
              ? join(dist, "modules", domain)
              : join(repo, "modules", domain, "releases", version);
          // The identity root calls each module's identity part, in its folder's identity/.
          expect(dir).toBe(d.role === "identity" ? join(folder, "identity") : folder);
        }
      }
    }
  });

  it("wires each call with exactly the declared inputs it needs, from outputs that exist", () => {
    for (const env of ENVIRONMENTS) {
      for (const d of deployments(env).deployments) {
        const root = rootOf(env, d.name);
        const json = (domain: string) =>
          readJson<{ variable: Record<string, { default?: unknown }>; output: object }>(
            join(moduleDir(env, d.name, root.module[domain]!.source), "main.tf.json"),
          );
        for (const [domain, { source: _, ...inputs }] of Object.entries(root.module)) {
          const where = `${env}/${d.name} module.${domain}`;
          const declared = json(domain).variable;
          for (const input of Object.keys(inputs)) expect(declared, where).toHaveProperty(input);
          for (const [name, variable] of Object.entries(declared)) {
            if (!("default" in variable)) expect(inputs, where).toHaveProperty(name);
          }
          for (const [, from, output] of JSON.stringify(inputs).matchAll(/module\.(\w+)\.(\w+)/g)) {
            expect(Object.keys(root.module), where).toContain(from);
            expect(Object.keys(json(from!).output), `${where} <- ${from}`).toContain(output);
          }
        }
      }
    }
  });
});

describe("tandem synth --env, and determinism", () => {
  let first: Map<string, Buffer>;
  let repo: string;

  beforeAll(async () => {
    const other = scratchRepo();
    cleanExit(await tandem(other, ["synth"]));
    first = readTree(join(other, "dist"));
    repo = scratchRepo();
  });

  it("writes only the named environment (and the modules) with --env", async () => {
    cleanExit(await tandem(repo, ["synth", "--env", "prod"]));
    const written = readTree(join(repo, "dist"));
    expect([...written.keys()].filter((p) => p.startsWith("environments/"))).toEqual(
      [...first.keys()].filter((p) => p.startsWith("environments/prod/")),
    );
    // Byte for byte what a full synth in another folder wrote: no paths or times leak in.
    for (const [path, bytes] of written) expect(bytes.equals(first.get(path)!), path).toBe(true);
  });

  it("gives byte-identical dist/ on every run and in every checkout folder", async () => {
    cleanExit(await tandem(repo, ["synth"]));
    const second = readTree(join(repo, "dist"));
    cleanExit(await tandem(repo, ["synth"]));
    const third = readTree(join(repo, "dist"));
    expect([...second.keys()]).toEqual([...first.keys()]);
    expect([...third.keys()]).toEqual([...first.keys()]);
    for (const [path, bytes] of first) {
      expect(second.get(path)!.equals(bytes), path).toBe(true);
      expect(third.get(path)!.equals(bytes), path).toBe(true);
    }
  });

  it("refuses an unknown environment with exit 2, naming the available ones, and writes nothing", async () => {
    const before = readTree(join(repo, "dist"));
    const result = await tandem(repo, ["synth", "--env", "qa"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown environment "qa"; available: dev, prod, staging');
    expect(readTree(join(repo, "dist"))).toEqual(before);
  });
});

describe("tandem synth is atomic", () => {
  let repo: string;
  let before: Map<string, Buffer>;

  beforeAll(async () => {
    repo = scratchRepo();
    cleanExit(await tandem(repo, ["synth"]));
    before = readTree(join(repo, "dist"));
  });

  /** Runs synth on a broken tree, restores the file, and checks dist/ was left alone. */
  async function failingSynth(file: string, breakIt: () => void): Promise<Result> {
    const original = readFileSync(join(repo, file));
    breakIt();
    try {
      const result = await tandem(repo, ["synth"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toContain("internal error");
      const after = readTree(join(repo, "dist"));
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [path, bytes] of before) expect(after.get(path)!.equals(bytes), path).toBe(true);
      const entries = readdirSync(join(repo, "dist")).sort();
      const shown = entries.filter((name) => !name.startsWith("."));
      expect(shown).toEqual(["bootstrap", "current", "environments", "modules"]);
      // one generation folder behind current, nothing staged left over
      expect(entries.filter((name) => name.startsWith("."))).toEqual([
        expect.stringMatching(/^\.gen-/),
      ]);
      return result;
    } finally {
      writeFileSync(join(repo, file), original);
    }
  }

  const lineOf = (file: string, text: string) =>
    readFileSync(join(repo, file), "utf8")
      .split("\n")
      .findIndex((l) => l.includes(text)) + 1;

  it("leaves dist/ intact on invalid YAML and reports it located, as the validator does", async () => {
    const file = "environments/staging.yaml";
    const { stderr } = await failingSynth(file, () =>
      edit(repo, file, (text) => text.replace("tier: staging", "tier: [staging")),
    );
    const lines = stderr.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines.slice(0, -1))
      expect(line).toMatch(/^environments\/staging\.yaml:\d+:\d+: /);
    expect(lines.at(-1)).toMatch(/problem\(s\); nothing was written$/);
    const validate = await tandem(repo, ["validate"]);
    expect(validate.code).toBe(0); // restored
  });

  it("leaves dist/ intact on a bad CIDR and points at its line", async () => {
    const file = "environments/prod.yaml";
    const line = lineOf(file, "10.1.0.0/16");
    const { stderr } = await failingSynth(file, () =>
      edit(repo, file, (text) => text.replace("10.1.0.0/16", "10.1.0.0/33")),
    );
    expect(stderr).toMatch(
      new RegExp(`^environments/prod\\.yaml:${line}:\\d+: networking\\.cidrs\\.us-west-2: `, "m"),
    );
  });

  it("leaves dist/ intact when a pinned release lacks an output another module is wired to", async () => {
    const file = `modules/networking/releases/${prodPin(repo, "networking")}/main.tf.json`;
    const { stderr } = await failingSynth(file, () =>
      editModuleJson(join(repo, file), (json) => void delete json.output.private_subnet_ids),
    );
    expect(stderr).toMatch(/^tandem synth: .*private_subnet_ids.*networking/m);
  });

  it("leaves dist/ intact when a pinned release lacks an output the global root reads", async () => {
    const file = `modules/compute/releases/${prodPin(repo, "compute")}/main.tf.json`;
    const { stderr } = await failingSynth(file, () =>
      editModuleJson(join(repo, file), (json) => void delete json.output.api_domain_target),
    );
    expect(stderr).toMatch(/^tandem synth: .*api_domain_target/m);
    expect(stderr).toContain(`compute@${prodPin(repo, "compute")}`);
  });
});

/** The release prod pins for `domain`: the version a broken snapshot must be to break prod. */
function prodPin(repo: string, domain: string): string {
  const text = readFileSync(join(repo, "environments/prod.yaml"), "utf8");
  return new RegExp(`^\\s+${domain}: (\\S+)$`, "m").exec(text)![1]!;
}
