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
  author: string;
  /** Opened from a fork: its plan job gets no OIDC token, so it was never planned. */
  fork: boolean;
}

export class CommentTooLong extends Error {}

/** The login of GITHUB_TOKEN's identity: the only author whose comments and issues are read. */
export const ACTIONS_BOT = "github-actions[bot]";

/** The task of the deployments apply records: the ledger of what each environment runs. */
export const DEPLOY_TASK = "tandem:apply";

export class GitHub {
  constructor(
    readonly client: Client,
    readonly owner: string,
    readonly repo: string,
    /** The login the workflow's token writes as (a GitHub App's bot for an App token). */
    readonly author: string = ACTIONS_BOT,
  ) {}

  private ours(item: { user?: { login?: string } | null }): boolean {
    return item.user?.login === this.author;
  }

  private get where() {
    return { owner: this.owner, repo: this.repo };
  }

  /** The first comment of ours whose body starts with `prefix`, looking through every page. */
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
      const found = page.data.find((c) => this.ours(c) && c.body?.startsWith(prefix));
      if (found) return { id: found.id, body: found.body ?? "" };
    }
    return undefined;
  }

  /** Edits our comment found by `prefix`, or creates it; a body over the limit is never sent. */
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
    return {
      number: pull.number,
      headSha: pull.head.sha,
      labels: await this.labels(pull.number),
      author: pull.user?.login ?? "",
      fork: pull.head.repo?.full_name !== pull.base.repo.full_name,
    };
  }

  /**
   * Who added `label` to the pull request, and when, from its timeline: only labels still there
   * (the last `labeled` event of that name after its last `unlabeled`).
   */
  async labelAdded(issue: number, label: string): Promise<{ by: string; at: string } | undefined> {
    const events = await this.client.paginate(this.client.rest.issues.listEventsForTimeline, {
      ...this.where,
      issue_number: issue,
      per_page: 100,
    });
    let added: { by: string; at: string } | undefined;
    for (const e of events as {
      event?: string;
      label?: { name?: string };
      actor?: { login?: string } | null;
      created_at?: string;
    }[]) {
      if (e.label?.name !== label) continue;
      if (e.event === "labeled") added = { by: e.actor?.login ?? "", at: e.created_at ?? "" };
      if (e.event === "unlabeled") added = undefined;
    }
    return added;
  }

  /** Whether `login` may write to the repository (write, maintain or admin). */
  async canWrite(login: string): Promise<boolean> {
    const { data } = await this.client.rest.repos.getCollaboratorPermissionLevel({
      ...this.where,
      username: login,
    });
    return ["admin", "maintain", "write"].includes(data.permission);
  }

  /** When the first run of `workflow` for the head was created: when that head was pushed. */
  async headPushedAt(workflow: string, headSha: string): Promise<string | undefined> {
    const runs = await this.runsOf(workflow, headSha);
    return runs.map((r) => r.created_at).sort()[0];
  }

  async labels(issue: number): Promise<string[]> {
    const labels = await this.client.paginate(this.client.rest.issues.listLabelsOnIssue, {
      ...this.where,
      issue_number: issue,
      per_page: 100,
    });
    return labels.map((l) => l.name);
  }

  /** The pull request's current head commit. */
  async pullHead(number: number): Promise<string> {
    const { data } = await this.client.rest.pulls.get({ ...this.where, pull_number: number });
    return data.head.sha;
  }

  /**
   * Runs of `workflow` for pull_request on a head commit, newest first: the only runs whose
   * artifacts are a review (a push, a dispatch or another workflow on the same commit is not).
   */
  async planRuns(workflow: string, headSha: string): Promise<number[]> {
    const runs = await this.runsOf(workflow, headSha);
    return runs.sort((a, b) => b.created_at.localeCompare(a.created_at)).map((r) => r.id);
  }

  /** Runs of `workflow` in progress now, other than `except` (this run). */
  async runningRuns(workflow: string, except: string | undefined): Promise<number[]> {
    const { data } = await this.client.rest.actions.listWorkflowRuns({
      ...this.where,
      workflow_id: workflow,
      status: "in_progress",
      per_page: 100,
    });
    return data.workflow_runs
      .filter((r) => r.status === "in_progress" && String(r.id) !== except)
      .map((r) => r.id);
  }

  private async runsOf(workflow: string, headSha: string) {
    const { data } = await this.client.rest.actions.listWorkflowRuns({
      ...this.where,
      workflow_id: workflow,
      event: "pull_request",
      head_sha: headSha,
      per_page: 100,
    });
    return data.workflow_runs.filter((r) => r.event === "pull_request" && r.head_sha === headSha);
  }

  async runArtifacts(runId: number): Promise<{ id: number; name: string; expired: boolean }[]> {
    const artifacts = await this.client.paginate(
      this.client.rest.actions.listWorkflowRunArtifacts,
      {
        ...this.where,
        run_id: runId,
        per_page: 100,
      },
    );
    return artifacts.map((a) => ({ id: a.id, name: a.name, expired: a.expired }));
  }

  /** The commit of the environment's last successful apply, from its GitHub Deployments. */
  async lastApplied(environment: string): Promise<string | undefined> {
    const { data } = await this.client.rest.repos.listDeployments({
      ...this.where,
      environment,
      task: DEPLOY_TASK,
      per_page: 100,
    });
    for (const deployment of data) {
      const statuses = await this.client.rest.repos.listDeploymentStatuses({
        ...this.where,
        deployment_id: deployment.id,
        per_page: 1,
      });
      if (statuses.data[0]?.state === "success") return deployment.sha;
    }
    return undefined;
  }

  /** Opens a deployment of `sha` to the environment (in progress); returns its id. */
  async startDeployment(environment: string, sha: string, description: string): Promise<number> {
    const { data } = await this.client.rest.repos.createDeployment({
      ...this.where,
      ref: sha,
      environment,
      task: DEPLOY_TASK,
      auto_merge: false,
      required_contexts: [],
      description: description.slice(0, 140),
    });
    if (!("id" in data)) throw new Error(`no deployment of ${sha} was created: ${data.message}`);
    await this.deploymentStatus(data.id, "in_progress", description);
    return data.id;
  }

  async deploymentStatus(
    id: number,
    state: "in_progress" | "success" | "failure",
    description: string,
  ): Promise<void> {
    const run = process.env.GITHUB_RUN_ID;
    const server = process.env.GITHUB_SERVER_URL;
    await this.client.rest.repos.createDeploymentStatus({
      ...this.where,
      deployment_id: id,
      state,
      description: description.slice(0, 140),
      ...(run && server
        ? { log_url: `${server}/${this.owner}/${this.repo}/actions/runs/${run}` }
        : {}),
    });
  }

  private async findIssue(prefix: string): Promise<{ number: number } | undefined> {
    const iterator = this.client.paginate.iterator(this.client.rest.issues.listForRepo, {
      ...this.where,
      state: "open",
      per_page: 100,
    });
    for await (const page of iterator) {
      const found = page.data.find(
        (i) => !i.pull_request && this.ours(i) && i.body?.startsWith(prefix),
      );
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
