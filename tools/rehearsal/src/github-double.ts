/**
 * A GitHub on loopback for rehearsals: the REST calls the workflows and the deploy action make
 * (pull requests, comments, labels, issues, commits' pull requests, workflow runs and their
 * artifacts, deployments and statuses) and the job's OIDC token endpoint. It records every call,
 * so a rehearsal can say what each run posted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

/** The login GITHUB_TOKEN writes as. */
export const BOT = "github-actions[bot]";

export interface Comment {
  id: number;
  body: string;
  author: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  author: string;
  labels: string[];
  comments: Comment[];
  timeline: { event: "labeled"; label: string; actor: string; created_at: string }[];
  pull?: PullState;
}

export interface PullState {
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  mergeCommitSha?: string;
  mergedAt?: string;
}

export interface WorkflowRun {
  id: number;
  workflow: string;
  event: string;
  head_sha: string;
  status: "in_progress" | "completed";
  conclusion: string | null;
  created_at: string;
  artifacts: { id: number; name: string; expired: boolean }[];
}

export interface Deployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  task: string;
  statuses: { state: string; description: string }[];
}

/** One request the double answered, tagged with the workflow run it came from. */
export interface Call {
  run?: number;
  /** When it was answered (ms since the epoch). */
  at: number;
  method: string;
  path: string;
  status: number;
  /** The request's JSON body, for writes. */
  body?: Record<string, unknown>;
}

/** What a token minted for a job says about it (GitHub's OIDC claims). */
export interface JobClaims {
  event_name: string;
  ref: string;
  sha: string;
  workflow: string;
  job_workflow_ref: string;
  environment?: string;
}

type Handler = (request: Request) => Answer | Promise<Answer>;

interface Request {
  method: string;
  url: URL;
  params: string[];
  body: Record<string, unknown>;
  raw: Buffer;
  authorization: string;
  /** The job the runner says is asking (x-github-job). */
  job: string;
}

interface Answer {
  status: number;
  /** JSON, or bytes sent as they are. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** An artifact uploaded through the results service's protocol, as @actions/artifact speaks it. */
export interface StoredArtifact {
  id: number;
  run: number;
  name: string;
  blocks: Map<string, Buffer>;
  data?: Buffer;
  finalized: boolean;
}

const MAX_BODY = 65_536;

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export class GitHubDouble {
  readonly issues = new Map<number, Issue>();
  readonly runs: WorkflowRun[] = [];
  readonly deployments: Deployment[] = [];
  readonly calls: Call[] = [];
  readonly artifacts: StoredArtifact[] = [];
  /** Each GitHub environment's secrets, given to a run's jobs in that environment. */
  readonly environmentSecrets = new Map<string, Record<string, string>>();
  /** Tokens handed to jobs: the request token a job presents, and what its OIDC token claims. */
  private readonly jobTokens = new Map<
    string,
    { run: number; claims: JobClaims; idTokenJobs?: ReadonlySet<string> }
  >();
  /** ACTIONS_RUNTIME_TOKEN of each run (the artifact service's credentials). */
  private readonly runtimeTokens = new Map<string, number>();
  private readonly routes: [string, RegExp, Handler][] = [];
  private keys?: { privateKey: KeyPair["privateKey"]; jwk: JWK };
  private server?: Server;
  private nextId = 100;
  url = "";

  /**
   * `mint` signs a job's OIDC token (the sandbox's issuer, whose tokens its STS accepts); by
   * default the double signs its own, published at `issuer`.
   */
  constructor(
    readonly owner: string,
    readonly repo: string,
    private readonly mintWith?: (claims: JobClaims, audience: string) => Promise<string>,
  ) {
    this.defineRoutes();
  }

  get repository(): string {
    return `${this.owner}/${this.repo}`;
  }

  /** The OIDC issuer the tokens name (`iss`), with its discovery document and keys. */
  get issuer(): string {
    return `${this.url}/oidc`;
  }

  async start(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    this.keys = {
      privateKey,
      jwk: { ...(await exportJWK(publicKey)), kid: "rehearsal", alg: "RS256", use: "sig" },
    };
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  /** Opens a pull request from `head` into `base`. */
  openPull(
    title: string,
    head: { ref: string; sha: string },
    base: { ref: string; sha: string },
  ): Issue {
    const issue = this.newIssue(title, "author");
    issue.pull = { head, base };
    return issue;
  }

  /** Merges the pull request: its merge commit, closed (as GitHub's merge button leaves it). */
  mergePull(number: number, mergeCommitSha: string): void {
    const issue = this.issues.get(number);
    if (!issue?.pull) throw new Error(`#${number} is not a pull request`);
    issue.pull.mergeCommitSha = mergeCommitSha;
    issue.pull.mergedAt = new Date().toISOString();
    issue.state = "closed";
  }

  /** A deployment recorded before the rehearsal (what the environment already runs). */
  recordDeployment(environment: string, sha: string, task: string, state: string): Deployment {
    const deployment: Deployment = {
      id: this.nextId++,
      sha,
      ref: sha,
      environment,
      task,
      statuses: [{ state, description: "before the rehearsal" }],
    };
    this.deployments.push(deployment);
    return deployment;
  }

  /**
   * Starts a workflow run: its id, the request token its jobs present for OIDC, and its
   * ACTIONS_RUNTIME_TOKEN, whose `scp` names the run as the artifact service's backend ids.
   * With `idTokenJobs`, only those jobs (named by the runner's `x-github-job` header) get a
   * token, as GitHub gives the token request URL only to jobs with `id-token: write`.
   */
  async startRun(
    workflow: string,
    event: string,
    headSha: string,
    claims: JobClaims,
    idTokenJobs?: ReadonlySet<string>,
  ): Promise<{ id: number; oidcToken: string; runtimeToken: string }> {
    const run: WorkflowRun = {
      id: this.nextId++,
      workflow,
      event,
      head_sha: headSha,
      status: "in_progress",
      conclusion: null,
      created_at: new Date().toISOString(),
      artifacts: [],
    };
    this.runs.push(run);
    const oidcToken = `rehearsal-oidc-${run.id}-${Math.random().toString(36).slice(2)}`;
    this.jobTokens.set(oidcToken, { run: run.id, claims, ...(idTokenJobs ? { idTokenJobs } : {}) });
    const runtimeToken = await new SignJWT({ scp: `Actions.Results:${run.id}:${run.id}` })
      .setProtectedHeader({ alg: "RS256", kid: "rehearsal" })
      .setExpirationTime("6h")
      .sign(this.keys!.privateKey);
    this.runtimeTokens.set(runtimeToken, run.id);
    return { id: run.id, oidcToken, runtimeToken };
  }

  finishRun(id: number, conclusion: string): void {
    const run = this.runs.find((r) => r.id === id)!;
    run.status = "completed";
    run.conclusion = conclusion;
  }

  /** The calls a run made that changed something (POST, PATCH, PUT, DELETE). */
  writesOf(run: number): Call[] {
    return this.calls.filter((c) => c.run === run && c.method !== "GET");
  }

  private newIssue(title: string, author: string, body = ""): Issue {
    const number = Math.max(0, ...this.issues.keys()) + 1;
    const issue: Issue = {
      number,
      title,
      body,
      state: "open",
      author,
      labels: [],
      comments: [],
      timeline: [],
    };
    this.issues.set(number, issue);
    return issue;
  }

  private route(method: string, pattern: string, handler: Handler): void {
    const regex = new RegExp(`^${pattern.replaceAll(/:[a-z_]+/g, "([^/]+)")}$`);
    this.routes.push([method, regex, handler]);
  }

  private issue(number: string | undefined): Issue {
    const issue = this.issues.get(Number(number));
    if (!issue) throw new NotFound();
    return issue;
  }

  private defineRoutes(): void {
    const repo = "/repos/:owner/:repo";
    const comment = (c: Comment) => ({ id: c.id, body: c.body, user: { login: c.author } });
    const issueJson = (i: Issue) => ({
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      user: { login: i.author },
      labels: i.labels.map((name) => ({ name })),
      ...(i.pull ? { pull_request: {} } : {}),
    });
    const pullJson = (i: Issue) => ({
      number: i.number,
      state: i.state,
      title: i.title,
      user: { login: i.author },
      head: { ref: i.pull!.head.ref, sha: i.pull!.head.sha, repo: { full_name: this.repository } },
      base: { ref: i.pull!.base.ref, sha: i.pull!.base.sha, repo: { full_name: this.repository } },
      merge_commit_sha: i.pull!.mergeCommitSha ?? null,
      merged_at: i.pull!.mergedAt ?? null,
      labels: i.labels.map((name) => ({ name })),
    });

    this.route("GET", "/oidc/token", (r) => this.mint(r));
    this.route("GET", "/oidc/.well-known/openid-configuration", () => ({
      status: 200,
      body: {
        issuer: this.issuer,
        jwks_uri: `${this.issuer}/.well-known/jwks`,
        id_token_signing_alg_values_supported: ["RS256"],
      },
    }));
    this.route("GET", "/oidc/.well-known/jwks", () => ({
      status: 200,
      body: { keys: [this.keys!.jwk] },
    }));

    this.defineArtifactRoutes(repo);
    this.route("GET", `${repo}/issues/:n/comments`, (r) =>
      page(r, this.issue(r.params[2]).comments.map(comment)),
    );
    this.route("POST", `${repo}/issues/:n/comments`, (r) => {
      const c = { id: this.nextId++, body: text(r), author: BOT };
      this.issue(r.params[2]).comments.push(c);
      return { status: 201, body: comment(c) };
    });
    this.route("PATCH", `${repo}/issues/comments/:id`, (r) => {
      const c = [...this.issues.values()]
        .flatMap((i) => i.comments)
        .find((x) => x.id === Number(r.params[2]));
      if (!c) throw new NotFound();
      if (c.author !== BOT) return { status: 403, body: { message: "Forbidden" } };
      c.body = text(r);
      return { status: 200, body: comment(c) };
    });
    this.route("GET", `${repo}/issues/:n/labels`, (r) =>
      page(
        r,
        this.issue(r.params[2]).labels.map((name) => ({ name })),
      ),
    );
    this.route("GET", `${repo}/issues/:n/timeline`, (r) =>
      page(
        r,
        this.issue(r.params[2]).timeline.map((e) => ({
          event: e.event,
          label: { name: e.label },
          actor: { login: e.actor },
          created_at: e.created_at,
        })),
      ),
    );
    this.route("GET", `${repo}/issues`, (r) => {
      const state = r.url.searchParams.get("state") ?? "open";
      // `labels`: a comma-separated list, every one of which an issue must have.
      const labels = r.url.searchParams.get("labels")?.split(",").filter(Boolean) ?? [];
      return page(
        r,
        [...this.issues.values()]
          .filter((i) => state === "all" || i.state === state)
          .filter((i) => labels.every((l) => i.labels.includes(l)))
          .map(issueJson),
      );
    });
    this.route("POST", `${repo}/issues`, (r) => {
      const issue = this.newIssue(String(r.body.title), BOT, text(r));
      if (Array.isArray(r.body.labels))
        issue.labels = r.body.labels.map((l: unknown) =>
          typeof l === "string" ? l : String((l as { name?: unknown }).name),
        );
      return { status: 201, body: issueJson(issue) };
    });
    this.route("PATCH", `${repo}/issues/:n`, (r) => {
      const i = this.issue(r.params[2]);
      if (typeof r.body.title === "string") i.title = r.body.title;
      if (typeof r.body.body === "string") i.body = r.body.body;
      if (r.body.state === "open" || r.body.state === "closed") i.state = r.body.state;
      return { status: 200, body: issueJson(i) };
    });
    this.route("GET", `${repo}/pulls/:n`, (r) => {
      const i = this.issue(r.params[2]);
      if (!i.pull) throw new NotFound();
      return { status: 200, body: pullJson(i) };
    });
    this.route("GET", `${repo}/commits/:sha/pulls`, (r) => ({
      status: 200,
      body: [...this.issues.values()]
        .filter(
          (i) =>
            i.pull && (i.pull.mergeCommitSha === r.params[2] || i.pull.head.sha === r.params[2]),
        )
        .map(pullJson),
    }));
    this.route("GET", `${repo}/collaborators/:login/permission`, (r) => ({
      status: 200,
      body: { permission: "write", user: { login: decodeURIComponent(r.params[2]!) } },
    }));
    this.route("GET", `${repo}/actions/workflows/:file/runs`, (r) => {
      const q = r.url.searchParams;
      const runs = this.runs.filter(
        (run) =>
          run.workflow === decodeURIComponent(r.params[2]!) &&
          (!q.get("head_sha") || run.head_sha === q.get("head_sha")) &&
          (!q.get("event") || run.event === q.get("event")) &&
          (!q.get("status") ||
            run.status === q.get("status") ||
            run.conclusion === q.get("status")),
      );
      const listed = runs
        .slice()
        .reverse()
        .map(({ artifacts: _, ...run }) => run);
      return { status: 200, body: { total_count: listed.length, workflow_runs: listed } };
    });
    this.route("GET", `${repo}/actions/runs/:id/artifacts`, (r) => {
      const run = this.runs.find((x) => x.id === Number(r.params[2]));
      if (!run) throw new NotFound();
      return { status: 200, body: { total_count: run.artifacts.length, artifacts: run.artifacts } };
    });
    this.route("GET", `${repo}/deployments`, (r) => {
      const q = r.url.searchParams;
      const list = this.deployments
        .filter(
          (d) =>
            (!q.get("environment") || d.environment === q.get("environment")) &&
            (!q.get("task") || d.task === q.get("task")),
        )
        .slice()
        .reverse()
        .map(({ statuses: _, ...d }) => d);
      return page(r, list);
    });
    this.route("POST", `${repo}/deployments`, (r) => {
      const d: Deployment = {
        id: this.nextId++,
        sha: String(r.body.ref),
        ref: String(r.body.ref),
        environment: String(r.body.environment),
        task: String(r.body.task ?? "deploy"),
        statuses: [],
      };
      this.deployments.push(d);
      const { statuses: _, ...json } = d;
      return { status: 201, body: json };
    });
    this.route("GET", `${repo}/deployments/:id/statuses`, (r) =>
      page(r, this.deployment(r.params[2]).statuses.slice().reverse()),
    );
    this.route("POST", `${repo}/deployments/:id/statuses`, (r) => {
      this.deployment(r.params[2]).statuses.push({
        state: String(r.body.state),
        description: String(r.body.description ?? ""),
      });
      return { status: 201, body: { state: r.body.state } };
    });
  }

  /**
   * The results service's artifact protocol (Twirp JSON), the blob store its signed URLs point
   * at (Azure's block upload: blocks, then the block list), and the REST download that redirects
   * to the blob, as @actions/artifact uses them.
   */
  private defineArtifactRoutes(repo: string): void {
    const twirp = "/twirp/github.actions.results.api.v1.ArtifactService";
    const artifact = (id: string | undefined) => {
      const found = this.artifacts.find((a) => a.id === Number(id));
      if (!found) throw new NotFound();
      return found;
    };
    this.route("POST", `${twirp}/CreateArtifact`, (r) => {
      const run = this.runs.find((x) => String(x.id) === r.body.workflow_run_backend_id);
      if (!run) return { status: 404, body: { code: "not_found", msg: "no such workflow run" } };
      const stored = {
        id: this.nextId++,
        run: run.id,
        name: String(r.body.name),
        blocks: new Map(),
        finalized: false,
      };
      this.artifacts.push(stored);
      return {
        status: 200,
        body: {
          ok: true,
          signed_upload_url: `${this.url}/blob/artifacts/${stored.id}?sig=rehearsal`,
        },
      };
    });
    this.route("POST", `${twirp}/FinalizeArtifact`, (r) => {
      const stored = this.artifacts.find(
        (a) => String(a.run) === r.body.workflow_run_backend_id && a.name === r.body.name && a.data,
      );
      if (!stored)
        return {
          status: 404,
          body: { code: "not_found", msg: "no uploaded artifact of that name" },
        };
      stored.finalized = true;
      this.runs
        .find((x) => x.id === stored.run)!
        .artifacts.push({ id: stored.id, name: stored.name, expired: false });
      return { status: 200, body: { ok: true, artifact_id: String(stored.id) } };
    });
    // A run's own artifacts by name or id, and a signed URL to one (download-artifact in the run).
    this.route("POST", `${twirp}/ListArtifacts`, (r) => {
      const listed = this.artifacts.filter(
        (a) =>
          a.finalized &&
          String(a.run) === r.body.workflow_run_backend_id &&
          (r.body.name_filter === undefined || a.name === r.body.name_filter) &&
          (r.body.id_filter === undefined || String(a.id) === String(r.body.id_filter)),
      );
      const artifacts = listed.map((a) => ({
        workflow_run_backend_id: String(a.run),
        workflow_job_run_backend_id: String(a.run),
        database_id: String(a.id),
        name: a.name,
        size: String(a.data?.length ?? 0),
      }));
      return { status: 200, body: { artifacts } };
    });
    this.route("POST", `${twirp}/GetSignedArtifactURL`, (r) => {
      const stored = this.artifacts.find(
        (a) =>
          a.finalized && String(a.run) === r.body.workflow_run_backend_id && a.name === r.body.name,
      );
      if (!stored) return { status: 404, body: { code: "not_found", msg: "no such artifact" } };
      return {
        status: 200,
        body: { signed_url: `${this.url}/blob/artifacts/${stored.id}?sig=rehearsal` },
      };
    });
    this.route("PUT", "/blob/artifacts/:id", (r) => {
      const stored = artifact(r.params[0]);
      const comp = r.url.searchParams.get("comp");
      if (comp === "block") stored.blocks.set(r.url.searchParams.get("blockid") ?? "", r.raw);
      else if (comp === "blocklist") {
        const ids = [
          ...r.raw.toString("utf8").matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)</g),
        ].map((m) => m[1]!);
        stored.data = Buffer.concat(ids.map((id) => stored.blocks.get(id) ?? Buffer.alloc(0)));
      } else stored.data = r.raw;
      return { status: 201, headers: { "x-ms-request-id": String(stored.id) } };
    });
    this.route("GET", "/blob/artifacts/:id", (r) => {
      const stored = artifact(r.params[0]);
      return {
        status: 200,
        body: stored.data ?? Buffer.alloc(0),
        headers: { "content-type": "application/zip" },
      };
    });
    this.route("GET", `${repo}/actions/artifacts/:id/zip`, (r) => {
      const stored = artifact(r.params[2]);
      if (!stored.finalized) throw new NotFound();
      return {
        status: 302,
        headers: { location: `${this.url}/blob/artifacts/${stored.id}?sig=rehearsal` },
      };
    });
  }

  private deployment(id: string | undefined): Deployment {
    const d = this.deployments.find((x) => x.id === Number(id));
    if (!d) throw new NotFound();
    return d;
  }

  /** The job's OIDC token: RS256, GitHub's claims for the run the request token belongs to. */
  private async mint(r: Request): Promise<Answer> {
    const job = this.jobTokens.get(r.authorization.replace(/^Bearer /i, ""));
    if (!job) return { status: 401, body: { message: "Bad credentials" } };
    if (job.idTokenJobs && !job.idTokenJobs.has(r.job))
      return {
        status: 403,
        body: {
          message: `job "${r.job}" lacks the permission id-token: write; GitHub gives it no token`,
        },
      };
    const { claims } = job;
    const audience = r.url.searchParams.get("audience") ?? `https://github.com/${this.owner}`;
    if (this.mintWith)
      return { status: 200, body: { value: await this.mintWith(claims, audience) } };
    const context = claims.environment
      ? `environment:${claims.environment}`
      : claims.event_name === "pull_request"
        ? "pull_request"
        : `ref:${claims.ref}`;
    const value = await new SignJWT({
      ...claims,
      repository: this.repository,
      repository_owner: this.owner,
    })
      .setProtectedHeader({ alg: "RS256", kid: "rehearsal" })
      .setIssuer(this.issuer)
      .setSubject(`repo:${this.repository}:${context}`)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(this.keys!.privateKey);
    return { status: 200, body: { value } };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString("utf8");
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    const authorization = req.headers.authorization ?? "";
    let answer: Answer;
    let body: Record<string, unknown> = {};
    try {
      const json = raw !== "" && !url.pathname.startsWith("/blob/");
      body = json ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const job = String(req.headers["x-github-job"] ?? "");
      answer = await this.answer({ method, url, params: [], body, raw: bytes, authorization, job });
    } catch (error) {
      answer =
        error instanceof NotFound
          ? { status: 404, body: { message: "Not Found" } }
          : { status: 400, body: { message: String(error) } };
    }
    const token = authorization.replace(/^(Bearer|token) /i, "");
    const run =
      this.jobTokens.get(token)?.run ?? this.runtimeTokens.get(token) ?? this.runOfToken(token);
    this.calls.push({
      ...(run !== undefined ? { run } : {}),
      at: Date.now(),
      method,
      path: url.pathname,
      status: answer.status,
      ...(method !== "GET" && Object.keys(body).length > 0 ? { body } : {}),
    });
    res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    if (Buffer.isBuffer(answer.body)) res.end(answer.body);
    else res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
  }

  private async answer(request: Request): Promise<Answer> {
    if (typeof request.body.body === "string" && request.body.body.length > MAX_BODY)
      return {
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [{ message: `body is too long (maximum is ${MAX_BODY} characters)` }],
        },
      };
    for (const [method, regex, handler] of this.routes) {
      const m = method === request.method ? regex.exec(request.url.pathname) : null;
      if (m) return handler({ ...request, params: m.slice(1) });
    }
    return {
      status: 404,
      body: { message: `Not Found: ${request.method} ${request.url.pathname}` },
    };
  }

  /** GITHUB_TOKEN of a run is `ghs_rehearsal_<run id>`: calls name their run. */
  private runOfToken(token: string): number | undefined {
    const m = /^ghs_rehearsal_(\d+)$/.exec(token);
    return m ? Number(m[1]) : undefined;
  }
}

class NotFound extends Error {}

const text = (r: Request) => (typeof r.body.body === "string" ? r.body.body : "");

/** GitHub's pagination: `page` and `per_page`, with Link headers. */
function page(r: Request, items: unknown[]): Answer {
  const perPage = Math.min(Number(r.url.searchParams.get("per_page") ?? 30), 100);
  const current = Number(r.url.searchParams.get("page") ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const at = (p: number) => {
    const u = new URL(r.url);
    u.searchParams.set("page", String(p));
    u.searchParams.set("per_page", String(perPage));
    return u.toString();
  };
  const links =
    current < last ? [`<${at(current + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`] : [];
  return {
    status: 200,
    body: items.slice((current - 1) * perPage, current * perPage),
    ...(links.length > 0 ? { headers: { link: links.join(", ") } } : {}),
  };
}
