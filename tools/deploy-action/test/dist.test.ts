import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const project = fileURLToPath(new URL("..", import.meta.url));

it("dist/index.js is the bundle of the current source (run `npm run build -w tools/deploy-action`)", () => {
  const dir = mkdtempSync(join(tmpdir(), "tandem-action-dist-"));
  try {
    const out = join(dir, "index.js");
    const built = spawnSync(process.execPath, ["build.mjs", out], {
      cwd: project,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(built.stderr).toBe("");
    expect(built.status).toBe(0);
    const fresh = readFileSync(out);
    const committed = readFileSync(join(project, "dist", "index.js"));
    expect(committed.equals(fresh), "dist/index.js is stale: rebuild and commit it").toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
