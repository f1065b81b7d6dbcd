/**
 * Recovery after an unplanned failover, on a staging applied on an emulator of the test's own
 * (it moves the writer and deletes a cluster, which tests on the shared staging must never see
 * mid-way): the global cluster is failed over to
 * us-west-2 through the API (FailoverGlobalCluster, AllowDataLoss), the copy's manifest says
 * `database.writer: us-west-2`, and every root plans with no delete or replace and no change a
 * known moto gap does not explain. Then the old primary's cluster is lost with its region
 * (deleted on the emulator); the primary root's plan creates only that cluster and its
 * instances, and its apply rebuilds the cluster as a secondary of the global cluster (no master
 * credentials: the emulator, as Aurora, refuses them there), touching nothing in us-west-2.
 * Then a switchover fails back and `database.writer` is removed: the primary root's one change
 * sets a generated master password on its cluster, the writer again; after it every root plans
 * clean. Moving the writer away plans one change too: that cluster's password version, nulled.
 * The emulator goes with the test.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { synthesizeTree } from "@tandem/generator";
import { loadKnownGaps, unexplainedAttributes } from "../src/gaps.ts";
import { sandboxDir, stopMoto } from "../src/moto.ts";
import { runRoot, type RootRun } from "../src/root.ts";
import { prepareSandbox, sandboxApply, writeRoots, type PreparedSandbox } from "../src/sandbox.ts";
import { sandboxCopy, SHARED_ENVIRONMENT, type SharedSandbox } from "../src/shared.ts";
import { findTool, sandboxUnavailable } from "../src/toolchain.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const skip = findTool("terraform", repoRoot) ? sandboxUnavailable(repoRoot) : "no terraform binary";
if (skip) console.warn(`sandbox recovery test skipped: ${skip}`);

const python = join(repoRoot, ".venv", "bin", "python");
const GLOBAL = "payments-staging";
const CLUSTER = "payments-staging";
const PRIMARY = "us-east-1";
const SECONDARY = "us-west-2";
const REBUILT = [
  "module.database.aws_rds_cluster.this",
  "module.database.aws_rds_cluster_instance.this[0]",
];
const CLUSTER_ADDRESS = "module.database.aws_rds_cluster.this";
const SELECTION = "module.backup.aws_backup_selection.this[0]";
/** The one change moving the writer plans in the primary root: the write-only password's version. */
const PASSWORD_VERSION = `${PRIMARY} update ${CLUSTER_ADDRESS} (master_password_wo_version)`;
const gaps = loadKnownGaps();
const label = `recovery-${process.pid}`;
const temp = mkdtempSync(join(tmpdir(), "tandem-recovery-"));
let copy: PreparedSandbox | undefined;
let endpoint = "";

/** A step of recovery_probe.py; the global cluster's members after it, `{region: is writer}`. */
function probe(...args: string[]): Record<string, boolean> {
  const out = execFileSync(
    python,
    [join(import.meta.dirname, "recovery_probe.py"), endpoint, ...args],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return JSON.parse(out) as Record<string, boolean>;
}

afterAll(async () => {
  await stopMoto(repoRoot, label);
  rmSync(sandboxDir(repoRoot, label), { recursive: true, force: true });
  rmSync(temp, { recursive: true, force: true });
}, 300_000);

/** Staging applied on an emulator of this test's own, named `label`. */
async function privateStaging(): Promise<SharedSandbox> {
  const options = {
    repoRoot,
    environment: SHARED_ENVIRONMENT,
    tool: "terraform" as const,
    name: label,
  };
  const report = await sandboxApply(options);
  expect(report.ok).toBe(true);
  return { prepared: await prepareSandbox(options), report };
}

/** Staging's manifest, with `database.writer` when given, in a folder of its own. */
function manifest(writer?: string): string {
  const text = readFileSync(join(repoRoot, "environments", "staging.yaml"), "utf8");
  const changed = writer
    ? text.replace("\ndatabase:\n", `\ndatabase:\n  writer: ${writer}\n`)
    : text;
  if (writer && changed === text)
    throw new Error("environments/staging.yaml has no database section");
  const dir = join(temp, writer ?? "primary");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "staging.yaml"), changed);
  return join(dir, "staging.yaml");
}

/** The copy's roots synthesized again from `manifestFile` (its state stays in the workspace). */
async function resynthesize(manifestFile: string): Promise<void> {
  const { files } = await synthesizeTree(repoRoot, [manifestFile]);
  const written = writeRoots(
    repoRoot,
    copy!.tree,
    files,
    SHARED_ENVIRONMENT,
    copy!.server.endpoint,
  );
  copy = { ...copy!, ...written };
  // The rewritten folders lost their init; dropping the copy selects workspaces in them.
  for (const { dir } of copy.roots)
    execFileSync(copy.tool.bin, ["init", "-input=false", "-no-color"], {
      cwd: dir,
      env: { ...process.env, ...copy.env },
      stdio: "ignore",
    });
}

async function planEveryRoot(): Promise<RootRun[]> {
  const runs: RootRun[] = [];
  for (const { name } of copy!.roots)
    runs.push(await runRoot(copy!, { root: name, command: "plan", endpoint, label }));
  return runs;
}

const destroys = (runs: RootRun[]) =>
  runs.flatMap((r) =>
    r.changes
      .filter((c) => /delete|replace/.test(c.action))
      .map((c) => `${r.root} ${c.action} ${c.address}`),
  );
const creates = (run: RootRun) =>
  run.changes
    .filter((c) => c.action === "create")
    .map((c) => c.address)
    .sort();
/** What each plan changes beyond the known moto gaps of its resource type (known-gaps.json). */
const unexplained = (runs: RootRun[], besides: string[] = []) =>
  runs.flatMap((r) =>
    r.changes
      .filter((c) => !besides.includes(c.address))
      .map((c) => ({ change: c, left: unexplainedAttributes(gaps, c.address, c.attributes) }))
      .filter(({ left }) => left.length > 0)
      .map(
        ({ change, left }) => `${r.root} ${change.action} ${change.address} (${left.join(", ")})`,
      ),
  );
const failures = (runs: RootRun[]) =>
  runs
    .filter((r) => !r.ok)
    .map((r) => `${r.root} ${r.failedAt}: ${r.errors.map((e) => e.message).join("; ")}`);

describe.skipIf(skip)(
  "recovery after an unplanned failover, on a staging of the test's own",
  () => {
    it(
      "plans no destroy with the writer in us-west-2, rebuilds the lost primary as a secondary, fails back and plans clean",
      { timeout: 50 * 60_000 },
      async () => {
        const staging = await privateStaging();
        endpoint = staging.prepared.server.endpoint;
        copy = await sandboxCopy(repoRoot, staging, {
          manifestFile: manifest(SECONDARY),
          tree: join(temp, "tree"),
          workspace: label,
        });
        const started = performance.now();
        const seconds = () => Math.round((performance.now() - started) / 1000);

        // The region is lost; the operator fails the database over; the manifest says who writes.
        expect(probe("failover", GLOBAL, SECONDARY)).toEqual({
          [PRIMARY]: false,
          [SECONDARY]: true,
        });
        const failedOver = await planEveryRoot();
        expect(failures(failedOver)).toEqual([]);
        expect(destroys(failedOver)).toEqual([]);
        // The old primary, now a secondary, loses its password version (which sends nothing).
        expect(unexplained(failedOver)).toEqual([PASSWORD_VERSION]);
        console.log(`recovery: failed over, every root planned in ${seconds()} s`);

        // The old primary's cluster went with its region: the next apply rebuilds it as a secondary.
        expect(probe("lose-cluster", GLOBAL, PRIMARY, CLUSTER)).toEqual({ [SECONDARY]: true });
        const planned = await runRoot(copy, { root: PRIMARY, command: "plan", endpoint, label });
        expect(failures([planned])).toEqual([]);
        expect(creates(planned)).toEqual(REBUILT);
        // The backup selection lists the cluster's ARN, unknown until the cluster exists again (it
        // is the same ARN): a plan replaces the selection, no data. The apply below leaves it, and
        // the plans after the fail back show it unchanged.
        expect(destroys([planned])).toEqual([`${PRIMARY} replace ${SELECTION}`]);
        expect(unexplained([planned], [...REBUILT, SELECTION])).toEqual([]);
        // moto cannot apply the known gaps' updates (the provider reads back what it leaves out):
        // the apply takes the rebuild alone.
        const targets = REBUILT.map((address) => `-target=${address}`);
        const rebuilt = await runRoot(copy, {
          root: PRIMARY,
          command: "apply",
          planArgs: targets,
          endpoint,
          label,
        });
        expect(failures([rebuilt])).toEqual([]);
        // -target takes the instances' dependencies along: known-gap updates, nothing else.
        expect(creates(rebuilt)).toEqual(REBUILT);
        expect(destroys([rebuilt])).toEqual([]);
        expect(unexplained([rebuilt], REBUILT)).toEqual([]);
        expect(probe("members", GLOBAL)).toEqual({ [PRIMARY]: false, [SECONDARY]: true });
        console.log(`recovery: us-east-1 rebuilt as a secondary at ${seconds()} s`);

        // Fail back; the manifest no longer names a writer; every root plans clean.
        expect(probe("switchover", GLOBAL, PRIMARY)).toEqual({
          [PRIMARY]: true,
          [SECONDARY]: false,
        });
        await resynthesize(manifest());
        const back = await planEveryRoot();
        expect(failures(back)).toEqual([]);
        expect(destroys(back)).toEqual([]);
        // The writer's cluster, rebuilt without credentials, gets a generated master password.
        expect(unexplained(back)).toEqual([PASSWORD_VERSION]);
        const rotated = await runRoot(copy, {
          root: PRIMARY,
          command: "apply",
          planArgs: [`-target=${CLUSTER_ADDRESS}`],
          endpoint,
          label,
        });
        expect(failures([rotated])).toEqual([]);
        const clean = await planEveryRoot();
        expect(failures(clean)).toEqual([]);
        expect(destroys(clean)).toEqual([]);
        expect(unexplained(clean)).toEqual([]);
        console.log(`recovery: failed back, every root planned clean at ${seconds()} s`);
      },
    );
  },
);
