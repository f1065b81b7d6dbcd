/**
 * The GitHub REST calls the action makes, through Octokit with the retry and throttling plugins
 * (5xx retried with back-off; primary and secondary rate limits wait `retry-after`).
 */
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { COMMENT_LIMIT } from "./comment.ts";

const ActionOctokit = Octokit.plugin(retry, throttling);
export type Client = InstanceType<typeof ActionOctokit>;

export interface ClientOptions {
  token: string;
  /** GITHUB_API_URL; api.github.com's address is Octokit's own default. */
  baseUrl?: string;
  /** Base of the retry back-off (retry n waits n² × this); tests shorten it. */
  retryBaseMs?: number;
  log?: (message: string) => void;
}

const MAX_RATE_LIMIT_RETRIES = 3;

export function createClient(options: ClientOptions): Client {
  const log = options.log ?? (() => undefined);
  const quiet = { debug: () => undefined, info: () => undefined, warn: log, error: log };
  return new ActionOctokit({
    auth: options.token,
    ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/$/, "") } : {}),
    userAgent: "tandem-deploy-action",
    log: quiet,
    retry: { retryAfterBaseValue: options.retryBaseMs ?? 1000 },
    throttle: {
      onRateLimit: (after, request, _octokit, count) => {
        log(`rate limit on ${request.method} ${request.url}; retry ${count + 1} in ${after} s`);
        return count < MAX_RATE_LIMIT_RETRIES;
      },
      onSecondaryRateLimit: (after, request, _octokit, count) => {
        log(
          `secondary rate limit on ${request.method} ${request.url}; retry ${count + 1} in ${after} s`,
        );
        return count < MAX_RATE_LIMIT_RETRIES;
      },
    },
  });
}

export interface PullRequestRef {
  number: number;
  headSha: string;
  labels: string[];
}

export class CommentTooLong extends Error {}

export class GitHub {
  constructor(
    readonly client: Client,
    readonly owner: string,
    readonly repo: string,
  ) {}

  private get where() {
    return { owner: this.owner, repo: this.repo };
  }

  /** The first comment whose body starts with `prefix`, looking through every page. */
  async findComment(
    issue: number,
    prefix: string,
  ): Promise<{ id: number; body: string } | undefined> {
    const iterator = this.client.paginate.iterator(this.client.rest.issues.listComments, {
      ...this.where,
      issue_number: issue,
      per_page: 100,
    });
    for await (const page of iterator) {
      const found = page.data.find((c) => c.body?.startsWith(prefix));
      if (found) return { id: found.id, body: found.body ?? "" };
    }
    return undefined;
  }

  /** Edits the comment found by `prefix`, or creates it; a body over the limit is never sent. */
  async upsertComment(
    issue: number,
    prefix: string,
    body: string,
  ): Promise<{ id: number; created: boolean }> {
    if (body.length > COMMENT_LIMIT)
      throw new CommentTooLong(
        `comment of ${body.length} characters is over GitHub's ${COMMENT_LIMIT}`,
      );
    const existing = await this.findComment(issue, prefix);
    if (existing) {
      await this.client.rest.issues.updateComment({ ...this.where, comment_id: existing.id, body });
      return { id: existing.id, created: false };
    }
    const created = await this.client.rest.issues.createComment({
      ...this.where,
      issue_number: issue,
      body,
    });
    return { id: created.data.id, created: true };
  }

  /** The pull request a merge commit came from (`GET /repos/{o}/{r}/commits/{sha}/pulls`). */
  async pullForCommit(sha: string): Promise<PullRequestRef | undefined> {
    const { data } = await this.client.rest.repos.listPullRequestsAssociatedWithCommit({
      ...this.where,
      commit_sha: sha,
    });
    const pull =
      data.find((p) => p.merge_commit_sha === sha) ?? data.find((p) => p.merged_at) ?? data[0];
    if (!pull) return undefined;
    return { number: pull.number, headSha: pull.head.sha, labels: await this.labels(pull.number) };
  }

  async labels(issue: number): Promise<string[]> {
    const labels = await this.client.paginate(this.client.rest.issues.listLabelsOnIssue, {
      ...this.where,
      issue_number: issue,
      per_page: 100,
    });
    return labels.map((l) => l.name);
  }

  /** Workflow runs of a head commit, newest first (where its plan artifacts were uploaded). */
  async runsForHead(headSha: string): Promise<number[]> {
    const { data } = await this.client.rest.actions.listWorkflowRunsForRepo({
      ...this.where,
      head_sha: headSha,
      per_page: 100,
    });
    return data.workflow_runs
      .slice()
      .sort((a, b) => b.created_at.localeCompare(a.created_at))
      .map((r) => r.id);
  }

  private async findIssue(prefix: string): Promise<{ number: number } | undefined> {
    const iterator = this.client.paginate.iterator(this.client.rest.issues.listForRepo, {
      ...this.where,
      state: "open",
      per_page: 100,
    });
    for await (const page of iterator) {
      const found = page.data.find((i) => !i.pull_request && i.body?.startsWith(prefix));
      if (found) return { number: found.number };
    }
    return undefined;
  }

  /** One open issue per environment with drift, edited in place. */
  async upsertIssue(prefix: string, title: string, body: string): Promise<number> {
    if (body.length > COMMENT_LIMIT)
      throw new CommentTooLong(`issue body of ${body.length} characters is over ${COMMENT_LIMIT}`);
    const existing = await this.findIssue(prefix);
    if (existing) {
      await this.client.rest.issues.update({
        ...this.where,
        issue_number: existing.number,
        title,
        body,
      });
      return existing.number;
    }
    const { data } = await this.client.rest.issues.create({ ...this.where, title, body });
    return data.number;
  }

  /** Closes the environment's drift issue, if open; returns its number. */
  async closeIssue(prefix: string, why: string): Promise<number | undefined> {
    const existing = await this.findIssue(prefix);
    if (!existing) return undefined;
    await this.client.rest.issues.createComment({
      ...this.where,
      issue_number: existing.number,
      body: why,
    });
    await this.client.rest.issues.update({
      ...this.where,
      issue_number: existing.number,
      state: "closed",
    });
    return existing.number;
  }
}
