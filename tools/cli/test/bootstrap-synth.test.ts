import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { edit, readTree, scratchRepo, tandem } from "./e2e/scratch.ts";

const ACCOUNTS = { dev: "123456789012", staging: "123456789012", prod: "210987654321" };
const bootstrapOf = (tree: Map<string, Buffer>) =>
  new Map([...tree].filter(([path]) => path.startsWith("bootstrap/")));

describe("tandem synth writes the bootstrap roots", () => {
  let repo: string;
  let full: Map<string, Buffer>;

  beforeAll(async () => {
    repo = scratchRepo();
    const result = await tandem(repo, ["synth"]);
    expect(result.stderr).toBe("");
    full = readTree(join(repo, "dist"));
  });

  it("one per account, main.tf.json and versions.tf.json, under dist/bootstrap/<account>/", () => {
    expect([...bootstrapOf(full).keys()].sort()).toEqual([
      "bootstrap/123456789012/main.tf.json",
      "bootstrap/123456789012/versions.tf.json",
      "bootstrap/210987654321/main.tf.json",
      "bootstrap/210987654321/versions.tf.json",
    ]);
  });

  it("points each environment's deployments.json at its account's root, outside `deployments`", () => {
    for (const [env, account] of Object.entries(ACCOUNTS)) {
      const summary = JSON.parse(full.get(`environments/${env}/deployments.json`)!.toString()) as {
        bootstrap: string;
        deployments: { name: string }[];
      };
      expect(summary.bootstrap).toBe(`bootstrap/${account}`);
      expect(existsSync(join(repo, "dist", summary.bootstrap, "main.tf.json"))).toBe(true);
      expect(summary.deployments.map((d) => d.name)).not.toContain("bootstrap");
    }
  });

  it("writes the whole account's root with --env: staging's synth keeps dev's roles", async () => {
    const other = scratchRepo();
    expect((await tandem(other, ["synth", "--env", "staging"])).code).toBe(0);
    const partial = bootstrapOf(readTree(join(other, "dist")));
    expect([...partial.keys()]).toEqual([...bootstrapOf(full).keys()]);
    for (const [path, bytes] of bootstrapOf(full))
      expect(partial.get(path)!.equals(bytes), path).toBe(true);
    const main = readFileSync(join(other, "dist/bootstrap/123456789012/main.tf.json"), "utf8");
    expect(main).toContain('"name": "tandem-dev-apply"');
  });

  it("refuses --env staging while dev, in the same account, is invalid: its roles would go", async () => {
    const other = scratchRepo();
    edit(other, "environments/dev.yaml", (text) =>
      text.replace("repository: acme-payments/payments-infra", "repository: payments-infra"),
    );
    const result = await tandem(other, ["synth", "--env", "staging"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/environments\/dev\.yaml:\d+:\d+: github\.repository: /);
    expect(existsSync(join(other, "dist"))).toBe(false);
  });
});
