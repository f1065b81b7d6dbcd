import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { startPrivateMoto, type PrivateMoto } from "../src/moto.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const python = join(repoRoot, ".venv", "bin", "python");
let server: PrivateMoto | undefined;
afterAll(async () => {
  await server?.stop();
});

test("a global cluster keeps its tags: given at create, added and removed on its region-less ARN", async () => {
  server = await startPrivateMoto(repoRoot, { label: "global-cluster-tags" });
  const out = execFileSync(
    python,
    [join(import.meta.dirname, "global_cluster_tags_probe.py"), server.endpoint],
    { encoding: "utf8", timeout: 60_000 },
  );
  expect(JSON.parse(out)).toEqual({
    arn: "arn:aws:rds::123456789012:global-cluster:tagged",
    created: { Environment: "staging" },
    added: { Environment: "staging", CostCenter: "payments" },
    removed: { CostCenter: "payments" },
  });
}, 90_000);
