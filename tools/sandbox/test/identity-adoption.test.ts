/**
 * Adopting the module versions whose roles moved to the identity root, on an emulator holding
 * the roles an earlier version's regional root created: staging's identity root imports each
 * role that exists (and its policy or attachments) instead of failing to create it again, creates
 * the ones that do not, destroys nothing, and plans clean once applied. The regional side of the
 * move (`removed` blocks, destroy = false) is Terraform's own and is checked by the modules' tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { startPrivateMoto, type PrivateMoto } from "../src/moto.ts";
import { runTool } from "../src/run.ts";
import { writeTree } from "../src/sandbox.ts";
import { findTool, providerEnv, sandboxUnavailable } from "../src/toolchain.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const tools = (["terraform", "tofu"] as const).flatMap((name) => {
  const found = findTool(name, repoRoot);
  if (!found) console.warn(`identity adoption with ${name} skipped: no ${name} binary`);
  return found ? [{ name, bin: found.bin }] : [];
});
const skip = sandboxUnavailable(repoRoot);
if (skip) console.warn(`identity adoption test skipped: ${skip}`);

const ACCOUNT = "123456789012"; // staging's
const NAME = "payments-staging";
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

interface ResourceChange {
  address: string;
  change: { actions: string[]; importing?: { id: string } };
}

describe.skipIf(skip).each(tools)(
  "staging's identity root over roles a regional root created, with $name",
  (tool) => {
    let moto: PrivateMoto | undefined;
    let tree: string;
    let dir: string;
    let iam: IAMClient;
    afterAll(async () => {
      await moto?.stop();
      if (tree) rmSync(tree, { recursive: true, force: true });
    });
    const tf = async (args: string[]) => {
      const env = {
        PATH: process.env.PATH ?? "",
        HOME: tree,
        CHECKPOINT_DISABLE: "1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        ...providerEnv(tree),
      };
      return runTool(tool.bin, [...args, "-no-color"], { cwd: dir, env, timeoutMs: 300_000 });
    };

    beforeAll(async () => {
      tree = mkdtempSync(join(tmpdir(), "tandem-identity-"));
      const { files } = await synthesizeTree(repoRoot, environmentFiles(repoRoot, ["staging"]));
      writeTree(repoRoot, tree, files);
      dir = join(tree, "dist", "environments", "staging", "identity");
      moto = await startPrivateMoto(repoRoot, { label: "identity", account: ACCOUNT });
      // Only IAM and STS: the identity root calls nothing else; its state stays local here.
      writeFileSync(
        join(dir, "identity_override.tf.json"),
        JSON.stringify({
          terraform: { backend: { local: { path: "terraform.tfstate" } } },
          provider: {
            aws: {
              access_key: "test",
              secret_key: "test",
              skip_credentials_validation: true,
              skip_metadata_api_check: true,
              max_retries: 2,
              endpoints: [{ iam: moto.endpoint, sts: moto.endpoint }],
            },
          },
        }),
      );
      // What backup 1.3.0 and networking 1.2.0 created in us-east-1's regional root.
      iam = new IAMClient({
        region: "us-east-1",
        endpoint: moto.endpoint,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      const backup = `${NAME}-backup-us-east-1`;
      await iam.send(new CreateRoleCommand({ RoleName: backup, AssumeRolePolicyDocument: TRUST }));
      for (const policy of [
        "AWSBackupServiceRolePolicyForBackup",
        "AWSBackupServiceRolePolicyForRestores",
      ])
        await iam.send(
          new AttachRolePolicyCommand({
            RoleName: backup,
            PolicyArn: `arn:aws:iam::aws:policy/service-role/${policy}`,
          }),
        );
      const flowLogs = `${NAME}-flowlogs-us-east-1`;
      await iam.send(
        new CreateRoleCommand({ RoleName: flowLogs, AssumeRolePolicyDocument: TRUST }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: flowLogs,
          PolicyName: "write-flow-logs",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" }],
          }),
        }),
      );
    }, 600_000);

    it(
      "imports the live roles, creates the others, destroys nothing, then plans clean",
      { timeout: 900_000 },
      async () => {
        expect((await tf(["init", "-input=false"])).code).toBe(0);
        const plan = await tf(["plan", "-input=false", "-out=adopt.tfplan"]);
        expect(plan.stderr).toBe("");
        const shown = await tf(["show", "-json", "adopt.tfplan"]);
        const changes = (JSON.parse(shown.stdout) as { resource_changes: ResourceChange[] })
          .resource_changes;
        const imported = changes.filter((c) => c.change.importing).map((c) => c.address);
        expect(imported.sort()).toEqual(
          [
            'module.backup.aws_iam_role.this["us-east-1"]',
            'module.backup.aws_iam_role_policy_attachment.backup["us-east-1"]',
            'module.backup.aws_iam_role_policy_attachment.restores["us-east-1"]',
            'module.networking.aws_iam_role.flow_logs["us-east-1"]',
            'module.networking.aws_iam_role_policy.flow_logs["us-east-1"]',
          ].sort(),
        );
        const actions = changes.flatMap((c) => c.change.actions);
        expect(actions).not.toContain("delete");
        // The imported roles keep their identity: updated in place (trust, boundary), not replaced.
        for (const address of imported) {
          const change = changes.find((c) => c.address === address)!;
          expect(change.change.actions).not.toContain("create");
        }
        const created = changes.filter((c) => c.change.actions.includes("create"));
        expect(created.map((c) => c.address)).toContain(
          'module.networking.aws_iam_role.flow_logs["us-west-2"]',
        );
        const before = await iam.send(new GetRoleCommand({ RoleName: `${NAME}-backup-us-east-1` }));
        const applied = await tf(["apply", "-input=false", "adopt.tfplan"]);
        expect(applied.code, applied.stderr).toBe(0);
        const after = await iam.send(new GetRoleCommand({ RoleName: `${NAME}-backup-us-east-1` }));
        expect(after.Role?.RoleId).toBe(before.Role?.RoleId);
        const again = await tf(["plan", "-input=false", "-detailed-exitcode"]);
        expect(again.code, again.stdout).toBe(0);
      },
    );
  },
);
