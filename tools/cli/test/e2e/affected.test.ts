import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  changeNumericDefault,
  commit,
  copyRelease,
  edit,
  editModuleJson,
  git,
  pinnedVersion,
  scratchRepo,
  tandem,
} from "./scratch.ts";

interface Affected {
  environment: string;
  name: string;
  region: string;
  role: string;
}

/**
 * One scratch repository whose history the tests write step by step: each step commits one kind
 * of change and asks `tandem affected` what it reaches, with the step's parent as the base.
 */
describe("tandem affected on a scripted git history", () => {
  let repo: string;

  beforeAll(() => {
    repo = scratchRepo();
  });

  /** The deployments of `env` as the manifest in the working tree defines them. */
  function roots(
    env: string,
  ): Record<"primary" | "secondary" | "global", Affected> & { identity?: Affected } {
    const { regions } = parse(readFileSync(join(repo, "environments", `${env}.yaml`), "utf8")) as {
      regions: { primary: string; secondary: string };
    };
    const regional = (role: "primary" | "secondary") => ({
      environment: env,
      name: regions[role],
      region: regions[role],
      role,
    });
    // prod pins module versions from before the identity root; the others have one, applied first.
    const identity = { environment: env, name: "identity", region: "us-east-1", role: "identity" };
    return {
      ...(env === "prod" ? {} : { identity }),
      primary: regional("primary"),
      secondary: regional("secondary"),
      global: { environment: env, name: "global", region: "us-east-1", role: "global" },
    };
  }
  const all = (env: string) => Object.values(roots(env));

  async function affected(...args: string[]): Promise<Affected[]> {
    const result = await tandem(repo, ["affected", ...args, "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { deployments: Affected[] };
    expect(Object.keys(parsed)).toEqual(["deployments"]);
    return parsed.deployments;
  }

  /** Commits `change` and returns what `affected` lists between the previous commit and the working tree. */
  async function step(message: string, change: () => void): Promise<Affected[]> {
    const base = git(repo, "rev-parse", "HEAD");
    change();
    commit(repo, message);
    expect(git(repo, "status", "--porcelain")).toBe("");
    return affected("--base", base);
  }

  it("finds nothing for README edits, in a module folder or at the top", async () => {
    const found = await step("docs", () => {
      edit(repo, "modules/networking/README.md", (text) => `${text}\nMore prose.\n`);
      writeFileSync(join(repo, "README.md"), "# Tandem\n");
    });
    expect(found).toEqual([]);
  });

  it("finds nothing for YAML comments", async () => {
    const found = await step("yaml comments", () =>
      edit(
        repo,
        "environments/prod.yaml",
        (text) =>
          `# Reviewed by the payments team.\n${text.replace("instances: 2", "instances: 2 # one writer, one reader")}`,
      ),
    );
    expect(found).toEqual([]);
  });

  it("finds nothing for TypeScript comments in workspace module sources, the handler included", async () => {
    const found = await step("code comments", () => {
      edit(repo, "modules/networking/src/index.ts", (text) => `// Networking.\n${text}`);
      edit(repo, "modules/compute/src/handler/index.ts", (text) => `${text}\n/* the end */\n`);
    });
    expect(found).toEqual([]);
  });

  it("finds nothing when a workspace module's description changes: only its generated README moves", async () => {
    const found = await step("networking description", () =>
      edit(repo, "modules/networking/src/index.ts", (text) =>
        text.replace(/description:\s*\n?\s*"/, (match) => `${match}In short: `),
      ),
    );
    expect(found).toEqual([]);
  });

  it("finds every root of the one environment whose tags changed (default_tags)", async () => {
    const found = await step("staging cost center", () =>
      edit(repo, "environments/staging.yaml", (text) =>
        text.replace("CostCenter: payments", "CostCenter: payments-staging"),
      ),
    );
    expect(found).toEqual(all("staging"));
  });

  it("finds only the root of the region whose CIDR changed", async () => {
    const found = await step("prod secondary CIDR", () =>
      edit(repo, "environments/prod.yaml", (text) => text.replace("10.1.0.0/16", "10.2.0.0/16")),
    );
    expect(found).toEqual([roots("prod").secondary]);
  });

  it("finds nothing for a new release no environment pins yet", async () => {
    const found = await step("release dns 9.0.0", () => {
      const dir = copyRelease(repo, "dns", pinnedVersion(repo, "staging", "dns"), "9.0.0");
      editModuleJson(join(repo, dir, "main.tf.json"), (json) => {
        json.variable.record_name!.description += " Lower case.";
      });
    });
    expect(found).toEqual([]);
  });

  it("finds only the global root of the environment that pins the bumped module", async () => {
    const pinned = pinnedVersion(repo, "staging", "dns");
    const found = await step("staging takes dns 9.0.0", () =>
      edit(repo, "environments/staging.yaml", (text) =>
        text.replace(`dns: ${pinned}`, "dns: 9.0.0"),
      ),
    );
    expect(found).toEqual([roots("staging").global]);
  });

  it("finds the regional roots of the environment that builds a changed module from the workspace", async () => {
    const found = await step("networking default", () => changeNumericDefault(repo, "networking"));
    expect(found).toEqual([roots("dev").primary, roots("dev").secondary]);
  });

  it("finds every deployment of a new environment, and the regional roots whose quota sums it joins", async () => {
    const found = await step("qa environment", () => {
      const staging = readFileSync(join(repo, "environments/staging.yaml"), "utf8");
      writeFileSync(
        join(repo, "environments/qa.yaml"),
        staging.replace("name: staging", "name: qa"),
      );
      const lock = readFileSync(join(repo, "environments/staging.terraform.lock.hcl"));
      writeFileSync(join(repo, "environments/qa.terraform.lock.hcl"), lock);
    });
    // Its regional roots, and every regional root sharing its account and a region with it: the
    // quota checks there sum what the environments of an account and region need.
    const dev = roots("dev");
    const staging = roots("staging");
    expect(found).toEqual(
      expect.arrayContaining([...all("qa"), dev.secondary, staging.primary, staging.secondary]),
    );
    expect(found).toHaveLength(all("qa").length + 3);
  });

  it("compares two commits with --head, ignoring the working tree; without it the working tree counts", async () => {
    const base = git(repo, "rev-list", "--max-count=1", "--grep=^release dns 9.0.0$", "HEAD");
    const head = git(repo, "rev-list", "--max-count=1", "--grep=^staging takes dns", "HEAD");
    const original = readFileSync(join(repo, "environments/prod.yaml"));
    edit(repo, "environments/prod.yaml", (text) =>
      text.replace("DataClassification: pci", "DataClassification: pci-dss"),
    );
    try {
      expect(await affected("--base", base, "--head", head)).toEqual([roots("staging").global]);
      expect(await affected("--base", "HEAD")).toEqual(all("prod"));
    } finally {
      writeFileSync(join(repo, "environments/prod.yaml"), original);
    }
  });

  it("prints one line per deployment without --json", async () => {
    const base = git(repo, "rev-list", "--max-count=1", "--grep=^prod secondary CIDR$", "HEAD");
    const result = await tandem(repo, ["affected", "--base", `${base}~1`, "--head", base]);
    expect(result).toEqual({
      code: 0,
      stdout: "prod/us-west-2 (secondary, us-west-2)\n",
      stderr: "",
    });
    const none = await tandem(repo, ["affected", "--base", "HEAD"]);
    expect(none).toEqual({ code: 0, stdout: "no deployment changed\n", stderr: "" });
  });

  it("rejects an unknown ref, or no --base, with exit 2", async () => {
    for (const args of [
      ["--base", "no-such-ref"],
      ["--base", "HEAD", "--head", "no-such-ref"],
    ]) {
      const result = await tandem(repo, ["affected", ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe('tandem affected: unknown git ref "no-such-ref"\n');
    }
    const missing = await tandem(repo, ["affected", "--json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--base is required");
  });
});
