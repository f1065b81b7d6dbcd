import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { overrideFor } from "../src/overrides.ts";

const repoRoot = join(import.meta.dirname, "../../..");
let files: Map<string, Uint8Array>;

beforeAll(async () => {
  files = (await synthesizeTree(repoRoot, environmentFiles(repoRoot, ["staging"]))).files;
});

const json = (path: string) => JSON.parse(new TextDecoder().decode(files.get(path)!));

/** The override of a shared sandbox's copy that runs as the roles (`sandboxCopy` `asRoles`). */
describe("the override of a copy run as the roles", () => {
  const gateway = "http://127.0.0.1:4599";
  const options = { credentials: "environment", workspaceKeyPrefix: "staging/workspaces" } as const;

  test("holds no keys anywhere, so the process's AWS_* variables (a role's session) decide", () => {
    for (const root of ["us-east-1", "global"]) {
      const text = JSON.stringify(
        overrideFor(json(`environments/staging/${root}/main.tf.json`), gateway, options),
      );
      expect(text, root).not.toMatch(/access_key|secret_key|"token"/);
      expect(text, root).toContain(gateway);
    }
    // The sandbox's own tree keeps the admin test credentials.
    const own = overrideFor(json("environments/staging/us-east-1/main.tf.json"), gateway);
    expect(JSON.stringify(own)).toContain('"access_key":"test"');
  });

  test("keeps the workspaces' states inside the environment's state keys", () => {
    const root = json("environments/staging/us-west-2/main.tf.json");
    const override = overrideFor(root, gateway, options) as {
      terraform: { backend: { s3: Record<string, unknown> } };
    };
    const backend = override.terraform.backend.s3;
    // The roles' state statements name `<bucket>/staging/*`: a workspace's key is
    // `<prefix>/<workspace>/<key>`, inside them, where the S3 backend's default `env:` is not.
    expect(backend).toMatchObject({
      ...root.terraform.backend.s3,
      workspace_key_prefix: "staging/workspaces",
    });
    expect(String(root.terraform.backend.s3.key)).toMatch(/^staging\//);
  });
});
