/** The double's OIDC endpoint and its record of what a run wrote. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOT, GitHubDouble } from "../src/github-double.ts";

const github = new GitHubDouble("acme-payments", "payments-infra");
beforeAll(() => github.start());
afterAll(() => github.stop());

describe("the GitHub double", () => {
  it("mints a job's OIDC token with GitHub's claims, verifiable with its published keys", async () => {
    const { oidcToken } = await github.startRun("plan.yml", "pull_request", "a".repeat(40), {
      event_name: "pull_request",
      ref: "refs/pull/1/merge",
      sha: "b".repeat(40),
      workflow: "plan",
      job_workflow_ref: "acme-payments/payments-infra/.github/workflows/plan.yml@refs/pull/1/merge",
    });
    const response = await fetch(
      `${github.url}/oidc/token?api-version=2.0&audience=sts.amazonaws.com`,
      {
        headers: { authorization: `Bearer ${oidcToken}` },
      },
    );
    const { value } = (await response.json()) as { value: string };
    const discovery = (await (
      await fetch(`${github.issuer}/.well-known/openid-configuration`)
    ).json()) as { jwks_uri: string };
    const { payload } = await jwtVerify(value, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: github.issuer,
      audience: "sts.amazonaws.com",
    });
    expect(payload).toMatchObject({
      sub: "repo:acme-payments/payments-infra:pull_request",
      repository: "acme-payments/payments-infra",
      job_workflow_ref: "acme-payments/payments-infra/.github/workflows/plan.yml@refs/pull/1/merge",
    });
    const refused = await fetch(`${github.url}/oidc/token?audience=sts.amazonaws.com`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(refused.status).toBe(401);
  });

  it("gives a token only to a job whose permissions grant id-token: write", async () => {
    const { oidcToken } = await github.startRun(
      "plan.yml",
      "pull_request",
      "a".repeat(40),
      {
        event_name: "pull_request",
        ref: "refs/pull/1/merge",
        sha: "b".repeat(40),
        workflow: "plan",
        job_workflow_ref: "x",
      },
      new Set(["plan"]),
    );
    const ask = (job: string) =>
      fetch(`${github.url}/oidc/token?audience=sts.amazonaws.com`, {
        headers: { authorization: `Bearer ${oidcToken}`, "x-github-job": job },
      });
    expect((await ask("plan")).status).toBe(200);
    const refused = await ask("affected");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(
      'job \\"affected\\" lacks the permission id-token: write',
    );
  });

  it("records what each run wrote, by its token, and edits only the bot's own comments", async () => {
    const pull = github.openPull(
      "A change",
      { ref: "b", sha: "c".repeat(40) },
      { ref: "main", sha: "d".repeat(40) },
    );
    const { id } = await github.startRun("plan.yml", "pull_request", "c".repeat(40), {
      event_name: "pull_request",
      ref: `refs/pull/${pull.number}/merge`,
      sha: "e".repeat(40),
      workflow: "plan",
      job_workflow_ref: "x",
    });
    const call = (method: string, path: string, body?: object) =>
      fetch(`${github.url}/repos/acme-payments/payments-infra${path}`, {
        method,
        headers: { authorization: `token ghs_rehearsal_${id}` },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const created = (await (
      await call("POST", `/issues/${pull.number}/comments`, { body: "hello" })
    ).json()) as { id: number };
    expect((await call("PATCH", `/issues/comments/${created.id}`, { body: "edited" })).status).toBe(
      200,
    );
    pull.comments.push({ id: 1, body: "someone's", author: "someone" });
    expect((await call("PATCH", "/issues/comments/1", { body: "taken over" })).status).toBe(403);
    expect(
      (await call("POST", `/issues/${pull.number}/comments`, { body: "x".repeat(65_537) })).status,
    ).toBe(422);
    expect(pull.comments.map((c) => [c.author, c.body])).toEqual([
      [BOT, "edited"],
      ["someone", "someone's"],
    ]);
    expect(github.writesOf(id).map((c) => `${c.method} ${c.status}`)).toEqual([
      "POST 201",
      "PATCH 200",
      "PATCH 403",
      "POST 422",
    ]);
  });
});

describe("the double's artifact service", () => {
  it("keeps an issue's labels and lists only issues with every label asked for", async () => {
    const repo = `${github.url}/repos/acme-payments/payments-infra`;
    const create = (title: string, labels?: unknown[]) =>
      fetch(`${repo}/issues`, {
        method: "POST",
        headers: { authorization: "token ghs_rehearsal_9", "content-type": "application/json" },
        body: JSON.stringify({ title, body: "b", ...(labels ? { labels } : {}) }),
      });
    await create("DR drill failed: staging", ["tandem:drill"]);
    await create("other", [{ name: "tandem:drift" }]);
    await create("unlabelled");
    const listed = (await (await fetch(`${repo}/issues?labels=tandem:drill`)).json()) as {
      title: string;
      labels: { name: string }[];
    }[];
    expect(listed.map((i) => [i.title, i.labels.map((l) => l.name)])).toEqual([
      ["DR drill failed: staging", ["tandem:drill"]],
    ]);
  });

  it("takes an upload from the pinned @actions/artifact and serves it to a download by another run", async () => {
    const { id, runtimeToken } = await github.startRun("plan.yml", "pull_request", "f".repeat(40), {
      event_name: "pull_request",
      ref: "refs/pull/1/merge",
      sha: "f".repeat(40),
      workflow: "plan",
      job_workflow_ref: "x",
    });
    const dir = mkdtempSync(join(tmpdir(), "tandem-double-artifact-"));
    writeFileSync(join(dir, "change-set.json"), '{"resources":[]}\n');
    const saved = { ...process.env };
    Object.assign(process.env, {
      ACTIONS_RESULTS_URL: `${github.url}/`,
      ACTIONS_RUNTIME_TOKEN: runtimeToken,
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: "https://github.com",
    });
    try {
      // @actions/github reads GITHUB_API_URL when it is loaded, as in a job's process.
      const { DefaultArtifactClient } = await import("@actions/artifact");
      const client = new DefaultArtifactClient();
      const uploaded = await client.uploadArtifact(
        "review-attempt-1",
        [join(dir, "change-set.json")],
        dir,
      );
      const listed = github.runs.find((r) => r.id === id)!.artifacts;
      expect(listed).toEqual([{ id: uploaded.id, name: "review-attempt-1", expired: false }]);
      const target = join(dir, "downloaded");
      await client.downloadArtifact(uploaded.id!, {
        path: target,
        findBy: {
          token: "ghs_rehearsal_1",
          workflowRunId: id,
          repositoryOwner: "acme-payments",
          repositoryName: "payments-infra",
        },
      });
      expect(readFileSync(join(target, "change-set.json"), "utf8")).toBe('{"resources":[]}\n');
      // In the same run, by name (download-artifact without a token): ListArtifacts, then the
      // signed URL of GetSignedArtifactURL.
      const { artifact } = await client.getArtifact("review-attempt-1");
      expect(artifact.id).toBe(uploaded.id);
      const again = join(dir, "again");
      await client.downloadArtifact(artifact.id, { path: again });
      expect(readFileSync(join(again, "change-set.json"), "utf8")).toBe('{"resources":[]}\n');
      await expect(client.getArtifact("no-such-artifact")).rejects.toThrow("Artifact not found");
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
