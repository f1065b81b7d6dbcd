/**
 * A GitHub REST server on 127.0.0.1 speaking the endpoints the action calls, with pagination by
 * Link headers, GitHub's body limit, and injectable faults (5xx, secondary rate limits).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The login GITHUB_TOKEN writes as; the server answers every token as this identity. */
export const BOT = "github-actions[bot]";

export interface Comment {
  id: number;
  body: string;
  author: string;
}

export interface TimelineEvent {
  event: "labeled" | "unlabeled";
  label: string;
  actor: string;
  created_at: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  comments: Comment[];
  labels: string[];
  author: string;
  timeline: TimelineEvent[];
  /** `commits`: other commits of main that belong to it (a rebase merge puts each on main). */
  pull?: { headSha: string; mergeCommitSha?: string; fork?: boolean; commits?: string[] };
}

export interface WorkflowRun {
  id: number;
  head_sha: string;
  created_at: string;
  /** The workflow file, e.g. plan.yml. */
  workflow: string;
  event: string;
  /** in_progress while running; completed once it ended. */
  status: string;
  artifacts: { id: number; name: string; expired: boolean }[];
}

export interface Deployment {
  id: number;
  sha: string;
  environment: string;
  task: string;
  statuses: { state: string; description: string }[];
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests get the fault. */
  times: number;
}

export interface Logged {
  method: string;
  path: string;
  status: number;
  bodyLength: number;
  authorization?: string;
}

export class FakeGitHub {
  readonly issues = new Map<number, Issue>();
  readonly runs: WorkflowRun[] = [];
  readonly deployments: Deployment[] = [];
  /** Repository permission by login (read when absent). */
  readonly permissions = new Map<string, string>();
  readonly log: Logged[] = [];
  private faults: Fault[] = [];
  private nextId = 1000;
  private server?: Server;
  url = "";

  constructor(
    readonly owner = "acme",
    readonly repo = "tandem",
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  fault(fault: Fault): void {
    this.faults.push(fault);
  }

  addPull(number: number, headSha: string, labels: string[] = [], mergeCommitSha?: string): Issue {
    const issue: Issue = {
      number,
      title: `PR ${number}`,
      body: "",
      state: "open",
      comments: [],
      labels,
      author: "author",
      timeline: [],
      pull: mergeCommitSha ? { headSha, mergeCommitSha } : { headSha },
    };
    this.issues.set(number, issue);
    return issue;
  }

  addComment(issue: number, body: string, author = BOT): Comment {
    const comment = { id: this.nextId++, body, author };
    this.issues.get(issue)!.comments.push(comment);
    return comment;
  }

  /** Adds a label as `actor` at `at` (ISO time), with its timeline event. */
  label(issue: number, name: string, actor: string, at: string): void {
    const i = this.issues.get(issue)!;
    i.labels.push(name);
    i.timeline.push({ event: "labeled", label: name, actor, created_at: at });
  }

  addRun(
    run: Omit<WorkflowRun, "id" | "artifacts" | "status"> &
      Partial<Pick<WorkflowRun, "artifacts" | "status">>,
  ): WorkflowRun {
    const added = { id: this.nextId++, artifacts: [], status: "completed", ...run };
    this.runs.push(added);
    return added;
  }

  /** Records a successful apply of `sha`, as the action's ledger does. */
  addDeployment(environment: string, sha: string, state = "success"): Deployment {
    const d = {
      id: this.nextId++,
      sha,
      environment,
      task: "tandem:apply",
      statuses: [{ state, description: "" }],
    };
    this.deployments.push(d);
    return d;
  }

  private commentJson(c: Comment) {
    return { id: c.id, body: c.body, user: { login: c.author } };
  }

  private page<T>(req: IncomingMessage, url: URL, items: T[]): { items: T[]; link?: string } {
    const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30), 100);
    const page = Number(url.searchParams.get("page") ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const at = (p: number) => {
      const u = new URL(url.pathname + url.search, this.url);
      u.searchParams.set("page", String(p));
      u.searchParams.set("per_page", String(perPage));
      return u.toString();
    };
    const links = [];
    if (page < last) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
    if (page > 1) links.push(`<${at(1)}>; rel="first"`, `<${at(page - 1)}>; rel="prev"`);
    void req;
    return {
      items: items.slice((page - 1) * perPage, page * perPage),
      ...(links.length > 0 ? { link: links.join(", ") } : {}),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.log.push({
        method,
        path: url.pathname,
        status,
        bodyLength: raw.length,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    const fault = this.faults.find(
      (f) => f.times > 0 && f.method === method && f.path.test(url.pathname),
    );
    if (fault) {
      fault.times -= 1;
      send(fault.status, fault.body ?? { message: "injected" }, fault.headers);
      return;
    }
    const body = raw === "" ? {} : (JSON.parse(raw) as Record<string, unknown>);
    const text = typeof body.body === "string" ? body.body : "";
    if (text.length > 65_536) {
      send(422, {
        message: "Validation Failed",
        errors: [{ message: "body is too long (maximum is 65536 characters)" }],
      });
      return;
    }
    const base = `/repos/${this.owner}/${this.repo}`;
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : "";
    const route = (pattern: RegExp) => pattern.exec(path);
    let m: RegExpExecArray | null;
    if (method === "GET" && (m = route(/^\/issues\/(\d+)\/comments$/))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return send(404, { message: "Not Found" });
      const { items, link } = this.page(
        req,
        url,
        issue.comments.map((c) => this.commentJson(c)),
      );
      return send(200, items, link ? { link } : {});
    }
    if (method === "POST" && (m = route(/^\/issues\/(\d+)\/comments$/))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return send(404, { message: "Not Found" });
      return send(201, this.commentJson(this.addComment(issue.number, text)));
    }
    if (method === "PATCH" && (m = route(/^\/issues\/comments\/(\d+)$/))) {
      const comment = [...this.issues.values()]
        .flatMap((i) => i.comments)
        .find((c) => c.id === Number(m![1]));
      if (!comment) return send(404, { message: "Not Found" });
      // GitHub lets only the author (or a maintainer's token) edit a comment.
      if (comment.author !== BOT) return send(403, { message: "Forbidden" });
      comment.body = text;
      return send(200, this.commentJson(comment));
    }
    if (method === "GET" && (m = route(/^\/pulls\/(\d+)$/))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue?.pull) return send(404, { message: "Not Found" });
      return send(200, {
        number: issue.number,
        head: { sha: issue.pull.headSha },
        state: issue.state,
      });
    }
    if (method === "GET" && (m = route(/^\/issues\/(\d+)\/timeline$/))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return send(404, { message: "Not Found" });
      const events = issue.timeline.map((e) => ({
        event: e.event,
        label: { name: e.label },
        actor: { login: e.actor },
        created_at: e.created_at,
      }));
      const { items, link } = this.page(req, url, events);
      return send(200, items, link ? { link } : {});
    }
    if (method === "GET" && (m = route(/^\/collaborators\/([^/]+)\/permission$/))) {
      const login = decodeURIComponent(m[1]!);
      return send(200, { permission: this.permissions.get(login) ?? "read", user: { login } });
    }
    if (method === "GET" && (m = route(/^\/actions\/workflows\/([^/]+)\/runs$/))) {
      const runs = this.runs.filter(
        (r) =>
          r.workflow === decodeURIComponent(m![1]!) &&
          (!url.searchParams.get("head_sha") || r.head_sha === url.searchParams.get("head_sha")) &&
          (!url.searchParams.get("event") || r.event === url.searchParams.get("event")) &&
          (!url.searchParams.get("status") || r.status === url.searchParams.get("status")),
      );
      return send(200, {
        total_count: runs.length,
        workflow_runs: runs.map(({ artifacts: _, ...r }) => r),
      });
    }
    if (method === "GET" && (m = route(/^\/actions\/runs\/(\d+)\/artifacts$/))) {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      if (!run) return send(404, { message: "Not Found" });
      return send(200, { total_count: run.artifacts.length, artifacts: run.artifacts });
    }
    if (method === "GET" && route(/^\/deployments$/)) {
      const env = url.searchParams.get("environment");
      const task = url.searchParams.get("task");
      const list = this.deployments
        .filter((d) => (!env || d.environment === env) && (!task || d.task === task))
        .slice()
        .reverse()
        .map(({ statuses: _, ...d }) => d);
      const { items, link } = this.page(req, url, list);
      return send(200, items, link ? { link } : {});
    }
    if (method === "POST" && route(/^\/deployments$/)) {
      const d: Deployment = {
        id: this.nextId++,
        sha: String(body.ref),
        environment: String(body.environment),
        task: String(body.task ?? "deploy"),
        statuses: [],
      };
      this.deployments.push(d);
      return send(201, { id: d.id, sha: d.sha, environment: d.environment, task: d.task });
    }
    if ((m = route(/^\/deployments\/(\d+)\/statuses$/))) {
      const d = this.deployments.find((x) => x.id === Number(m![1]));
      if (!d) return send(404, { message: "Not Found" });
      if (method === "POST") {
        d.statuses.push({ state: String(body.state), description: String(body.description ?? "") });
        return send(201, { state: body.state });
      }
      const { items, link } = this.page(req, url, d.statuses.slice().reverse());
      return send(200, items, link ? { link } : {});
    }
    if (method === "GET" && (m = route(/^\/commits\/([0-9a-f]+)\/pulls$/))) {
      const sha = m[1];
      const pulls = [...this.issues.values()].filter(
        (i) =>
          i.pull &&
          (i.pull.mergeCommitSha === sha ||
            i.pull.headSha === sha ||
            i.pull.commits?.includes(sha ?? "")),
      );
      return send(
        200,
        pulls.map((i) => ({
          number: i.number,
          user: { login: i.author },
          head: {
            sha: i.pull!.headSha,
            repo: {
              full_name: i.pull!.fork ? `someone/${this.repo}` : `${this.owner}/${this.repo}`,
            },
          },
          base: { repo: { full_name: `${this.owner}/${this.repo}` } },
          merge_commit_sha: i.pull!.mergeCommitSha ?? null,
          merged_at: i.pull!.mergeCommitSha ? "2026-01-01T00:00:00Z" : null,
          labels: i.labels.map((name) => ({ name })),
        })),
      );
    }
    if (method === "GET" && (m = route(/^\/issues\/(\d+)\/labels$/))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return send(404, { message: "Not Found" });
      const { items, link } = this.page(
        req,
        url,
        issue.labels.map((name) => ({ name })),
      );
      return send(200, items, link ? { link } : {});
    }
    if (method === "GET" && route(/^\/issues$/)) {
      const state = url.searchParams.get("state") ?? "open";
      const list = [...this.issues.values()]
        .filter((i) => state === "all" || i.state === state)
        .map((i) => ({
          number: i.number,
          title: i.title,
          body: i.body,
          state: i.state,
          user: { login: i.author },
          ...(i.pull ? { pull_request: {} } : {}),
        }));
      const { items, link } = this.page(req, url, list);
      return send(200, items, link ? { link } : {});
    }
    if (method === "POST" && route(/^\/issues$/)) {
      const number = Math.max(0, ...this.issues.keys()) + 1;
      const issue: Issue = {
        number,
        title: String(body.title),
        body: text,
        state: "open",
        comments: [],
        labels: [],
        author: BOT,
        timeline: [],
      };
      this.issues.set(number, issue);
      return send(201, { number, title: issue.title, body: issue.body, state: issue.state });
    }
    if (method === "PATCH" && (m = route(/^\/issues\/(\d+)$/))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return send(404, { message: "Not Found" });
      if (typeof body.title === "string") issue.title = body.title;
      if (typeof body.body === "string") issue.body = body.body;
      if (body.state === "open" || body.state === "closed") issue.state = body.state;
      return send(200, {
        number: issue.number,
        title: issue.title,
        body: issue.body,
        state: issue.state,
      });
    }
    send(404, { message: `Not Found: ${method} ${url.pathname}` });
  }
}
