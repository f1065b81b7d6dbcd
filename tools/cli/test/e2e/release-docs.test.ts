import { existsSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { manifestReference, manifestSchema } from "@tandem/generator";
import {
  DOMAINS,
  edit,
  readTree,
  rewordVariable,
  scratchRepo,
  tandem,
  tempDir,
} from "./scratch.ts";

const setVersion = (repo: string, domain: string, version: string) =>
  edit(repo, `modules/${domain}/package.json`, (text) =>
    text.replace(/"version": "[^"]*"/, `"version": "${version}"`),
  );

describe("tandem release", () => {
  let repo: string;
  const releases = (domain: string) => join(repo, "modules", domain, "releases");

  beforeAll(() => {
    repo = scratchRepo();
  });

  it("writes releases/<version>/ for a new version: the files synth writes for the module", async () => {
    setVersion(repo, "dns", "8.0.0");
    const result = await tandem(repo, ["release", "dns"]);
    expect(result).toEqual({
      code: 0,
      stdout: "released dns@8.0.0 -> modules/dns/releases/8.0.0/\n",
      stderr: "",
    });
    expect((await tandem(repo, ["synth", "--env", "dev"])).code).toBe(0);
    const built = readTree(join(repo, "dist/modules/dns"));
    expect(readTree(join(releases("dns"), "8.0.0"))).toEqual(built);
    expect([...built.keys()].sort()).toEqual(["README.md", "main.tf.json", "versions.tf.json"]);
  });

  it("is a no-op (exit 0) for a version already released with the same content", async () => {
    const before = readTree(releases("dns"));
    const result = await tandem(repo, ["release", "dns"]);
    expect(result).toEqual({
      code: 0,
      stdout: "dns@8.0.0 is already released with this content\n",
      stderr: "",
    });
    expect(readTree(releases("dns"))).toEqual(before);
  });

  it("refuses (exit 1) to overwrite a released version with changed source, and keeps the snapshot", async () => {
    const before = readTree(releases("dns"));
    await rewordVariable(repo, "dns");
    const result = await tandem(repo, ["release", "dns"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "dns@8.0.0 is already released with different content; bump the version (nx release) instead of overwriting\n",
    );
    expect(readTree(releases("dns"))).toEqual(before);
  });

  it("releases what it can and refuses the rest when given several modules", async () => {
    setVersion(repo, "backup", "8.0.1");
    const result = await tandem(repo, ["release", "backup", "dns"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("released backup@8.0.1 -> modules/backup/releases/8.0.1/\n");
    expect(result.stderr).toContain("dns@8.0.0 is already released with different content");
    expect(existsSync(join(releases("backup"), "8.0.1", "main.tf.json"))).toBe(true);
  });

  it.each([["../../../../escaped"], ["v8.0.2"], ["8.0.2/../../x"], ["8.0.2+build"], [""]])(
    "refuses the version %j: only a semver version names a release, nothing is written (exit 1)",
    async (version) => {
      const before = readTree(repo);
      setVersion(repo, "networking", version);
      try {
        const result = await tandem(repo, ["release", "networking"]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("");
        expect(result.stderr).toBe(
          `tandem release: modules/networking/package.json: version "${version}" is not a semver version such as 1.2.0; a release folder is named by it\n`,
        );
      } finally {
        setVersion(repo, "networking", "1.0.0");
      }
      const after = readTree(repo);
      expect([...after.keys()].filter((path) => !before.has(path))).toEqual([]);
      expect(existsSync(join(repo, "../escaped"))).toBe(false);
    },
  );

  it("refuses a releases folder that leads outside its module (exit 1)", async () => {
    const outside = tempDir();
    renameSync(releases("dns"), join(outside, "releases"));
    symlinkSync(join(outside, "releases"), releases("dns"));
    setVersion(repo, "dns", "8.0.5");
    try {
      const result = await tandem(repo, ["release", "dns"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("modules/dns/releases leads outside modules/dns");
      expect(existsSync(join(outside, "releases/8.0.5"))).toBe(false);
    } finally {
      rmSync(releases("dns"));
      renameSync(join(outside, "releases"), releases("dns"));
      setVersion(repo, "dns", "8.0.0");
    }
  });

  it("rejects a missing or unknown module name with exit 2", async () => {
    for (const argv of [["release"], ["release", "dnss"]]) {
      const result = await tandem(repo, argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`domains: ${DOMAINS.join(", ")}`);
    }
  });
});

describe("tandem docs", () => {
  let repo: string;
  const readme = () => readFileSync(join(repo, "modules/networking/README.md"), "utf8");

  beforeAll(() => {
    repo = scratchRepo();
  });

  it("--check passes on the repository's READMEs", async () => {
    expect(await tandem(repo, ["docs", "--check"])).toEqual({
      code: 0,
      stdout: "docs are up to date\n",
      stderr: "",
    });
  });

  it("--check fails naming the README a changed variable description makes stale; docs fixes it", async () => {
    const before = readme();
    const { description } = await rewordVariable(repo, "networking");
    const check = await tandem(repo, ["docs", "--check"]);
    expect(check).toEqual({
      code: 1,
      stdout: "",
      stderr: "out of date (run `tandem docs`): modules/networking/README.md\n",
    });
    expect(readme()).toBe(before);

    const fix = await tandem(repo, ["docs"]);
    expect(fix).toEqual({ code: 0, stdout: "updated modules/networking/README.md\n", stderr: "" });
    expect(readme()).toContain(description);
    expect((await tandem(repo, ["docs", "--check"])).code).toBe(0);
  });

  it("--check fails when docs/manifest.md was rendered from another schema; docs rewrites it", async () => {
    const file = join(repo, "docs/manifest.md");
    const older = manifestReference(manifestSchema.omit({ github: true }));
    expect(older).not.toContain("`github.repository`");
    writeFileSync(file, older);

    expect(await tandem(repo, ["docs", "--check"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "out of date (run `tandem docs`): docs/manifest.md\n",
    });
    expect(readFileSync(file, "utf8")).toBe(older);

    rmSync(join(repo, "docs"), { recursive: true });
    expect(await tandem(repo, ["docs"])).toEqual({
      code: 0,
      stdout: "updated docs/manifest.md\n",
      stderr: "",
    });
    expect(readFileSync(file, "utf8")).toBe(manifestReference());
    expect(readFileSync(file, "utf8")).toContain("`github.repository`");
  });
});
