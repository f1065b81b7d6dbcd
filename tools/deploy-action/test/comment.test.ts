import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  COMMENT_LIMIT,
  JOB_SUMMARY_LIMIT,
  marker,
  parseMarker,
  renderComment,
  utf8Bytes,
  type CommentInput,
  type RootReport,
} from "../src/comment.ts";
import { summarizePlan } from "../src/plan-summary.ts";
import { manifestBudget } from "../src/rto.ts";
import { REPO_ROOT } from "./fixtures.ts";

const recorded = (name: string) =>
  readFileSync(new URL(`./fixtures/plans/${name}`, import.meta.url), "utf8");
const JSON_PLAN = recorded("mixed.terraform.json");
const TEXT_PLAN = recorded("mixed.terraform.txt");
const HEAD = "f".repeat(40);

function root(
  name: string,
  overrides: Partial<RootReport> = {},
  stateful?: Set<string>,
): RootReport {
  return {
    name,
    region: name === "global" ? "us-east-1" : name,
    sha256: "a".repeat(64),
    changeSetSha256: "b".repeat(64),
    summary: summarizePlan(JSON_PLAN, stateful),
    diff: TEXT_PLAN,
    ms: 1234,
    artifact: `tandem-plan-staging-${name}-${HEAD}`,
    ...overrides,
  };
}

function input(roots: RootReport[]): CommentInput {
  return {
    environment: "staging",
    headSha: HEAD,
    tool: "terraform",
    toolVersion: "1.11.4",
    roots,
    budget: manifestBudget(REPO_ROOT, "staging"),
  };
}

describe("the comment on a real plan", () => {
  const body = renderComment(
    input([root("us-east-1", {}, new Set(["terraform_data"])), root("us-west-2"), root("global")]),
  );

  it("starts with a hidden marker carrying the JSON header", () => {
    expect(body.split("\n")[0]).toBe(
      marker(input([root("us-east-1"), root("us-west-2"), root("global")])),
    );
    expect(parseMarker(body, "staging")).toEqual({
      head: HEAD,
      tool: "terraform",
      version: "1.11.4",
      roots: { "us-east-1": "a".repeat(64), "us-west-2": "a".repeat(64), global: "a".repeat(64) },
      changeSets: {
        "us-east-1": "b".repeat(64),
        "us-west-2": "b".repeat(64),
        global: "b".repeat(64),
      },
    });
    expect(parseMarker(body, "prod")).toBeUndefined();
  });

  it("says the data at risk first, then the table, the details, the RTO budget last", () => {
    const at = (text: string) => body.indexOf(text);
    expect(
      at(
        "**Data at risk in us-east-1: this plan deletes terraform\\_data.gone, replaces terraform\\_data.table",
      ),
    ).toBeGreaterThan(0);
    expect(at("Data at risk in us-east-1")).toBeLessThan(
      at("| Root | Region | Create | Update | Replace | Delete | Data at risk | Plan time |"),
    );
    expect(body).toContain("| `us-east-1` | `us-east-1` | 1 | 1 | 1 | 1 | **2** | 1.2 s |");
    expect(body).toContain("| `us-west-2` | `us-west-2` | 1 | 1 | 1 | 1 | none | 1.2 s |");
    expect(at("| Root |")).toBeLessThan(
      at(
        "<details><summary>us-east-1: 1 to create, 1 to update, 1 to replace, 1 to delete, 1 to move, 1 to import</summary>",
      ),
    );
    expect(at("</details>")).toBeLessThan(at("**RTO budget** for `staging`"));
    expect(body.trimEnd().split("\n").at(-1)).toMatch(
      /^\*\*RTO budget\*\* for `staging`: region-health alarm detection .* = \*\*\d+ min( \d+ s)?\*\* against the objective of 15 min/,
    );
  });

  it("lists the changed addresses and the diff with the signs in column 0", () => {
    expect(body).toContain("- `-/+` `terraform_data.table` replace");
    expect(body).toContain("- `→` `terraform_data.new_name` move (from `terraform_data.old_name`)");
    expect(body).toMatch(/^\+\s+resource "terraform_data" "fresh" \{$/m);
    expect(body).toMatch(/^!\s+resource "terraform_data" "table" \{$/m);
    expect(body).toMatch(/^-\s+input\s+= "bye" -> null$/m);
    expect(body).toMatch(/^\+\s+input\s+= "::set-output name=evil::1"$/m);
  });

  it("shows a failed plan with its error", () => {
    const failed = renderComment(
      input([
        root("us-east-1", {
          summary: undefined,
          diff: undefined,
          changeSetSha256: undefined,
          error: "Error: Unsupported argument\n\n```oops```",
        }),
      ]),
    );
    expect(failed).toContain("| `us-east-1` | `us-east-1` | **failed** |");
    expect(failed).toContain("The plan of `us-east-1` failed");
    expect(failed).toContain("````\nError: Unsupported argument\n\n```oops```\n````");
    expect(parseMarker(failed, "staging")?.changeSets).toEqual({});
  });

  it("keeps a marker that no text can end early", () => {
    const odd = marker({ ...input([root("x --> <b>")]) });
    expect(odd.indexOf("-->")).toBe(odd.length - 3);
  });
});

describe("size limits", () => {
  const big = (times: number) => Array.from({ length: times }, () => TEXT_PLAN).join("\n");

  it("cuts the largest details first and says what was cut and where the whole text is", () => {
    const roots = [
      root("us-east-1", { diff: big(200) }),
      root("us-west-2", { diff: big(5) }),
      root("global"),
    ];
    const body = renderComment(input(roots));
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toContain(
      `lines of the diff cut to fit GitHub's size limit: the whole plan is in the artifact \`tandem-plan-staging-us-east-1-${HEAD}\`, and in this run's job summary up to 1 MiB.`,
    );
    expect(body).not.toContain("artifact `tandem-plan-staging-us-west-2");
    expect(body.match(/<\/details>/g)).toHaveLength(3);
    expect(body).toContain("<details><summary>global:");
    const whole = renderComment(input(roots), JOB_SUMMARY_LIMIT, utf8Bytes);
    expect(whole).not.toContain("cut to fit");
  });

  it("stays within the job summary's 1 MiB counted in bytes", () => {
    const wide = TEXT_PLAN.replace(/payments/g, "paiements-€€€");
    const roots = [root("us-east-1", { diff: Array.from({ length: 600 }, () => wide).join("\n") })];
    const summary = renderComment(input(roots), JOB_SUMMARY_LIMIT, utf8Bytes);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(JOB_SUMMARY_LIMIT);
    expect(summary.length).toBeLessThan(JOB_SUMMARY_LIMIT);
    expect(summary).toContain("cut to fit");
  });

  it("is never over the limit, whatever the sizes of diffs, errors and address lists", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ diff: fc.nat(400), error: fc.nat(70_000), addresses: fc.nat(3) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 8_000, max: COMMENT_LIMIT }),
        (specs, limit) => {
          const roots = specs.map((s, i) => {
            const summary = summarizePlan(JSON_PLAN);
            const changes = Array.from({ length: s.addresses * 300 }, (_, j) => ({
              ...summary.changes[j % 6]!,
              address: `terraform_data.r${j}`,
            }));
            return root(`root-${i}`, {
              diff: big(s.diff % 50),
              summary: { ...summary, changes },
              ...(s.error > 60_000 ? { error: "x\n".repeat(s.error) } : {}),
            });
          });
          const body = renderComment(input(roots), limit);
          expect(body.length).toBeLessThanOrEqual(limit);
          expect(parseMarker(body, "staging")?.head).toBe(HEAD);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("the comment on staging's real plans (recorded on the sandbox, AWS provider 5.100)", () => {
  const roots = ["us-east-1", "us-west-2"].map((name) =>
    root(name, {
      summary: summarizePlan(recorded(`staging-${name}.json`)),
      diff: recorded(`staging-${name}.txt`),
    }),
  );
  const body = renderComment(input(roots));

  it("counts what a first apply creates, with nothing at risk", () => {
    expect(body).toContain("| `us-east-1` | `us-east-1` | 117 | 0 | 0 | 0 | none | 1.2 s |");
    expect(body).toContain("| `us-west-2` | `us-west-2` | 114 | 0 | 0 | 0 | none | 1.2 s |");
    expect(body).not.toContain("Data at risk in");
    expect(body).toContain("- `+` `module.database.aws_rds_cluster.this` create");
  });

  it("fills the comment nearly to the limit, both roots keeping part of their diff", () => {
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body.length).toBeGreaterThan(COMMENT_LIMIT - 2_000);
    const blocks = body.split("<details>").slice(1);
    expect(blocks).toHaveLength(2);
    for (const block of blocks) {
      expect(block).toContain("```diff\n");
      expect(block).toMatch(/✂️ \d+ of \d+ lines of the diff cut to fit/);
    }
  });

  it("keeps the whole text in the job summary", () => {
    const summary = renderComment(input(roots), JOB_SUMMARY_LIMIT, utf8Bytes);
    expect(summary).not.toContain("cut to fit");
    expect(summary).toContain('resource "aws_rds_cluster" "this" {');
  });
});
