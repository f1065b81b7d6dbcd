import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { overrideFor, serviceOf, SERVICES } from "../src/overrides.ts";

const repoRoot = join(import.meta.dirname, "../../..");
let files: Map<string, Uint8Array>;

beforeAll(async () => {
  files = (await synthesizeTree(repoRoot, environmentFiles(repoRoot))).files;
});

const json = (path: string) => JSON.parse(new TextDecoder().decode(files.get(path)!));
const roots = () => [...files.keys()].filter((path) => path.endsWith("main.tf.json"));

describe("endpoints", () => {
  test("every AWS type any module or root uses has its service's endpoint overridden", () => {
    const types = new Set<string>();
    for (const path of roots()) {
      const root = json(path);
      for (const block of ["resource", "data", "ephemeral"]) {
        for (const type of Object.keys(root[block] ?? {}))
          if (type.startsWith("aws_")) types.add(type);
      }
    }
    expect(types.size).toBeGreaterThan(50);
    const services = [...types].map(serviceOf).filter(Boolean);
    for (const service of services) expect(SERVICES).toContain(service);
  });

  test("an unknown type is an error, not a silent miss", () => {
    expect(() => serviceOf("aws_made_up_thing")).toThrow(/no AWS service known/);
    expect(serviceOf("aws_cloudwatch_log_group")).toBe("logs");
    expect(serviceOf("aws_cloudwatch_event_rule")).toBe("events");
    expect(serviceOf("aws_vpc_security_group_ingress_rule")).toBe("ec2");
    expect(serviceOf("aws_region")).toBeUndefined();
  });
});

describe("the override of a root", () => {
  const endpoint = "http://127.0.0.1:4566";

  test("a regional root keeps its backend (bucket, key, encryption, S3 lock file) on the emulator", () => {
    const root = json("environments/staging/us-east-1/main.tf.json");
    const override = overrideFor(root, endpoint) as {
      terraform: { backend: { s3: Record<string, unknown> } };
      provider: { aws: Record<string, unknown>[] };
    };
    const backend = override.terraform.backend.s3;
    expect(backend).toMatchObject({
      ...root.terraform.backend.s3,
      use_lockfile: true,
      encrypt: true,
    });
    expect(backend.endpoints).toEqual({ s3: endpoint, sts: endpoint, iam: endpoint });
    const [provider] = override.provider.aws;
    expect(Object.keys((provider!.endpoints as object[])[0]!).sort()).toEqual([...SERVICES].sort());
    expect(provider).toMatchObject({ access_key: "test", secret_key: "test", max_retries: 2 });
    // The account check stays: the emulator answers as the manifest's account.
    expect(provider).not.toHaveProperty("allowed_account_ids");
  });

  test("the global root reads the regional states through its real terraform_remote_state", () => {
    const root = json("environments/staging/global/main.tf.json");
    const override = overrideFor(root, endpoint) as {
      data: {
        terraform_remote_state: Record<
          string,
          { backend: string; config: Record<string, unknown> }
        >;
      };
    };
    const states = override.data.terraform_remote_state;
    expect(Object.keys(states).sort()).toEqual(["primary", "secondary"]);
    for (const [name, state] of Object.entries(states)) {
      expect(state.backend).toBe("s3");
      expect(state.config).toMatchObject(root.data.terraform_remote_state[name].config);
      expect(state.config.endpoints).toMatchObject({ s3: endpoint });
    }
  });

  test("a bootstrap root's aliased providers are each overridden, by alias", () => {
    const path = roots().find((p) => p.startsWith("bootstrap/"))!;
    const root = json(path);
    const override = overrideFor(root, endpoint) as { provider: { aws: { alias?: string }[] } };
    expect(override.provider.aws.map((p) => p.alias)).toEqual(
      root.provider.aws.map((p: { alias?: string }) => p.alias),
    );
    expect(override).not.toHaveProperty("terraform"); // local state
  });
});

test("the known gaps name the moto version the requirements pin", () => {
  const gaps = JSON.parse(readFileSync(join(import.meta.dirname, "../known-gaps.json"), "utf8"));
  const requirements = readFileSync(join(import.meta.dirname, "../requirements.txt"), "utf8");
  expect(requirements).toContain(`moto[server]==${gaps.moto}`);
  expect(readdirSync(join(import.meta.dirname, "../moto"))).toContain("tandem_moto.py");
});
