import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { latestAttempt } from "../src/artifacts.ts";
import {
  canonicalJson,
  changeSetDiff,
  changeSetOf,
  changeSetSha256,
  environmentSha256,
  isEmpty,
  UNKNOWN,
} from "../src/change-set.ts";

const recorded = (name: string) =>
  readFileSync(new URL(`./fixtures/plans/${name}`, import.meta.url), "utf8");

/** A plan with one update of a resource holding a secret, as `show -json` writes it. */
function plan(password: string, size = 1) {
  return JSON.stringify({
    resource_changes: [
      {
        address: "aws_db_instance.db",
        type: "aws_db_instance",
        mode: "managed",
        change: {
          actions: ["update"],
          before: { size: 1, password: "old-secret", tags: { a: "1" }, id: "db-1" },
          after: { size, password, tags: { a: "1" } },
          after_unknown: { id: true },
          before_sensitive: { password: true },
          after_sensitive: { password: true },
        },
      },
      {
        address: "data.aws_caller_identity.me",
        mode: "data",
        type: "aws_caller_identity",
        change: { actions: ["read"], before: null, after: {} },
      },
      {
        address: "aws_s3_bucket.same",
        mode: "managed",
        type: "aws_s3_bucket",
        change: { actions: ["no-op"], before: { a: 1 }, after: { a: 1 } },
      },
    ],
    output_changes: {
      url: { actions: ["create"], before: null, after: "https://x", after_unknown: false },
      kept: { actions: ["no-op"], before: 1, after: 1 },
    },
  });
}

describe("the change set", () => {
  it("keeps addresses, actions and only the changed attributes; secrets only as hashes", () => {
    const cs = changeSetOf(plan("new-secret", 2));
    expect(cs.resources.map((r) => r.address)).toEqual(["aws_db_instance.db"]);
    const attributes = cs.resources[0]!.attributes;
    expect(Object.keys(attributes)).toEqual(["id", "password", "size"]);
    expect(attributes.size).toEqual({ before: 1, after: 2 });
    expect(attributes.id).toEqual({ before: "db-1", after: UNKNOWN });
    expect(canonicalJson(cs)).not.toMatch(/secret/);
    expect(attributes.password!.after).toEqual({
      "(sensitive) sha256": expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(cs.outputs.map((o) => o.name)).toEqual(["url"]);
  });

  it("has one sha256 for one change, another for any other change (a secret's included)", () => {
    const sha = changeSetSha256(changeSetOf(plan("new-secret")));
    expect(changeSetSha256(changeSetOf(plan("new-secret")))).toBe(sha);
    expect(changeSetSha256(changeSetOf(plan("other-secret")))).not.toBe(sha);
    expect(changeSetSha256(changeSetOf(plan("new-secret", 3)))).not.toBe(sha);
  });

  it("is the same for a recording read twice; two tools' recordings on other states differ", () => {
    const terraform = changeSetOf(recorded("mixed.terraform.json"));
    expect(changeSetSha256(changeSetOf(recorded("mixed.terraform.json")))).toBe(
      changeSetSha256(terraform),
    );
    expect(changeSetSha256(changeSetOf(recorded("mixed.tofu.json")))).not.toBe(
      changeSetSha256(terraform),
    );
  });

  it("says what differs, address by address and attribute by attribute", () => {
    const reviewed = changeSetOf(plan("new-secret", 2));
    const fresh = changeSetOf(plan("new-secret", 3));
    fresh.resources.push({ address: "aws_iam_user.extra", actions: ["create"], attributes: {} });
    expect(changeSetDiff(reviewed, fresh)).toEqual([
      "~ aws_db_instance.db:",
      "  size: reviewed 1 → 2, now 1 → 3",
      "+ aws_iam_user.extra (create): planned now, never reviewed",
    ]);
    expect(changeSetDiff(reviewed, reviewed)).toEqual([]);
  });

  it("an environment's sha256 leaves out roots with nothing to do", () => {
    const some = changeSetOf(plan("s"));
    const none = changeSetOf(JSON.stringify({}));
    expect(isEmpty(none)).toBe(true);
    expect(environmentSha256({ a: some, b: none })).toBe(environmentSha256({ a: some }));
    expect(environmentSha256({ a: some })).not.toBe(environmentSha256({ b: some }));
  });
});

describe("review artifacts across re-runs", () => {
  it("takes the latest attempt of the review's name and nothing else", () => {
    const name = "tandem-review-staging-us-east-1-abc";
    const list = [
      { id: 1, name: `${name}-attempt-1`, expired: false },
      { id: 2, name: `${name}-attempt-2`, expired: false },
      { id: 3, name: `${name}-attempt-2x`, expired: false },
      { id: 4, name: `${name}-other-attempt-9`, expired: false },
    ];
    expect(latestAttempt(name, list)?.id).toBe(2);
    expect(latestAttempt("tandem-review-prod-us-east-1-abc", list)).toBeUndefined();
  });
});
