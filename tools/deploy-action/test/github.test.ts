import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COMMENT_LIMIT } from "../src/comment.ts";
import { CommentTooLong, createClient, GitHub } from "../src/github.ts";
import { FakeGitHub } from "./github-server.ts";

const PREFIX = "<!-- tandem:plan env=staging ";
const HEAD = "a".repeat(40);

describe("GitHub through the real Octokit and its plugins, against a local server", () => {
  let server: FakeGitHub;
  let github: GitHub;
  let warnings: string[];

  beforeEach(async () => {
    server = new FakeGitHub();
    const url = await server.start();
    warnings = [];
    const client = createClient({
      token: "ghs_secret",
      baseUrl: url,
      retryBaseMs: 10,
      log: (m) => warnings.push(m),
    });
    github = new GitHub(client, server.owner, server.repo);
    server.addPull(7, HEAD);
  });
  afterEach(() => server.stop());

  it("creates the comment, then edits the same one", async () => {
    const first = await github.upsertComment(7, PREFIX, `${PREFIX}{} -->\nfirst`);
    const second = await github.upsertComment(7, PREFIX, `${PREFIX}{} -->\nsecond`);
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });
    expect(server.issues.get(7)!.comments.map((c) => c.body)).toEqual([`${PREFIX}{} -->\nsecond`]);
    expect(server.log.every((l) => l.authorization === "token ghs_secret")).toBe(true);
  });

  it("finds its comment among 150 others by paging with Link headers", async () => {
    for (let i = 0; i < 150; i++) server.addComment(7, `someone else's comment ${i}`);
    const mine = server.addComment(7, `${PREFIX}{} -->\nold`);
    server.addComment(7, "and one after");
    const result = await github.upsertComment(7, PREFIX, `${PREFIX}{} -->\nnew`);
    expect(result).toEqual({ id: mine.id, created: false });
    const pages = server.log.filter((l) => l.method === "GET" && l.path.endsWith("/comments"));
    expect(pages.length).toBe(2);
    expect(server.issues.get(7)!.comments).toHaveLength(152);
  });

  it("ignores a comment for another environment", async () => {
    server.addComment(7, "<!-- tandem:plan env=prod {} -->");
    expect((await github.upsertComment(7, PREFIX, `${PREFIX}{} -->`)).created).toBe(true);
  });

  it("retries a 5xx and then succeeds", async () => {
    server.fault({ method: "POST", path: /\/comments$/, status: 502, times: 1 });
    const result = await github.upsertComment(7, PREFIX, `${PREFIX}{} -->`);
    expect(result.created).toBe(true);
    expect(server.log.filter((l) => l.method === "POST").map((l) => l.status)).toEqual([502, 201]);
    expect(server.issues.get(7)!.comments).toHaveLength(1);
  });

  it("waits out a secondary rate limit (403, retry-after) and then succeeds", async () => {
    server.fault({
      method: "GET",
      path: /\/comments$/,
      status: 403,
      headers: { "retry-after": "1" },
      body: {
        message:
          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
      },
      times: 1,
    });
    const started = Date.now();
    const result = await github.upsertComment(7, PREFIX, `${PREFIX}{} -->`);
    expect(result.created).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.log.filter((l) => l.method === "GET").map((l) => l.status)).toEqual([403, 200]);
    expect(warnings.join("\n")).toMatch(/secondary rate limit/);
  });

  it("never sends a body over 65,536 characters", async () => {
    await expect(
      github.upsertComment(7, PREFIX, `${PREFIX}{} -->\n${"x".repeat(COMMENT_LIMIT)}`),
    ).rejects.toThrow(CommentTooLong);
    expect(server.log.filter((l) => l.method !== "GET")).toEqual([]);
    expect(server.log).toEqual([]);
  });

  it("finds a merge commit's pull request with its labels", async () => {
    server.addPull(9, "b".repeat(40), ["tandem:allow-data-loss"], "c".repeat(40));
    expect(await github.pullForCommit("c".repeat(40))).toEqual({
      number: 9,
      headSha: "b".repeat(40),
      labels: ["tandem:allow-data-loss"],
      author: "author",
      fork: false,
    });
    expect(await github.pullForCommit("d".repeat(40))).toBeUndefined();
    server.issues.get(9)!.pull!.fork = true;
    expect((await github.pullForCommit("c".repeat(40)))?.fork).toBe(true);
  });

  it("reads an issue only when it wrote it: another author's marker issue is left alone", async () => {
    const marker = "<!-- tandem:drift env=staging -->";
    const planted = await github.upsertIssue(
      marker,
      "Drift",
      `${marker}
mine`,
    );
    server.issues.get(planted)!.author = "mallory";
    const own = await github.upsertIssue(
      marker,
      "Drift",
      `${marker}
ours`,
    );
    expect(own).not.toBe(planted);
    expect(server.issues.get(planted)!.body).toBe(`${marker}
mine`);
  });

  it("looks for reviews only in the plan workflow's pull_request runs of the head, newest first", async () => {
    const head = "e".repeat(40);
    const older = server.addRun({
      workflow: "plan.yml",
      event: "pull_request",
      head_sha: head,
      created_at: "2026-01-01T00:00:00Z",
    });
    const newer = server.addRun({
      workflow: "plan.yml",
      event: "pull_request",
      head_sha: head,
      created_at: "2026-01-02T00:00:00Z",
    });
    server.addRun({
      workflow: "plan.yml",
      event: "push",
      head_sha: head,
      created_at: "2026-01-03T00:00:00Z",
    });
    server.addRun({
      workflow: "evil.yml",
      event: "pull_request",
      head_sha: head,
      created_at: "2026-01-04T00:00:00Z",
    });
    expect(await github.planRuns("plan.yml", head)).toEqual([newer.id, older.id]);
    expect(await github.headPushedAt("plan.yml", head)).toBe("2026-01-01T00:00:00Z");
  });

  it("records applies as deployments and finds the last successful one", async () => {
    expect(await github.lastApplied("staging")).toBeUndefined();
    const first = await github.startDeployment("staging", "1".repeat(40), "apply");
    await github.deploymentStatus(first, "success", "applied");
    const second = await github.startDeployment("staging", "2".repeat(40), "apply");
    await github.deploymentStatus(second, "failure", "refused");
    expect(await github.lastApplied("staging")).toBe("1".repeat(40));
    expect(await github.lastApplied("prod")).toBeUndefined();
  });

  it("keeps one drift issue per environment, edited in place, closed when clean", async () => {
    const marker = "<!-- tandem:drift env=staging -->";
    const first = await github.upsertIssue(marker, "Drift", `${marker}\none`);
    const second = await github.upsertIssue(marker, "Drift", `${marker}\ntwo`);
    expect(second).toBe(first);
    expect(server.issues.get(first)!.body).toBe(`${marker}\ntwo`);
    expect(await github.closeIssue(marker, "clean")).toBe(first);
    expect(server.issues.get(first)!.state).toBe("closed");
    expect(await github.closeIssue(marker, "clean")).toBeUndefined();
  });
});
