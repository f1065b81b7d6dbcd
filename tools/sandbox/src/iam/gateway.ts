/**
 * The sandbox's IAM gateway: a loopback HTTP server in front of moto. The endpoints a caller
 * is given point here; every request is forwarded to moto unchanged, except that
 * AssumeRoleWithWebIdentity is checked first as STS checks it (the token's signature against
 * this sandbox's key, its audience against the account's OIDC provider, its expiry, the role's
 * trust policy on its claims), and a request signed with credentials minted here is authorized
 * as the role (see authorize.ts) before it reaches moto.
 */
import { randomUUID } from "node:crypto";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { MotoServer } from "../moto.ts";
import { lostBy, lostRegions } from "../lost-regions.ts";
import { Authorizer, type ErrorAnswer } from "./authorize.ts";
import { EmulatorReader } from "./emulator.ts";
import { GITHUB_OIDC_HOST, InvalidToken, verifyToken, type Claims } from "./oidc.ts";
import { signedBy, type SignedRequest } from "./request.ts";
import { judgeTrust, trustAllowsRole } from "./trust.ts";

export interface GatewayOptions {
  readonly repoRoot: string;
  /** The sandbox whose OIDC key signs the tokens the gateway accepts. */
  readonly name: string;
  readonly moto: MotoServer;
  /**
   * The sandbox whose lost regions the gateway drops (`name` when omitted): a test's own, so
   * that its outage is seen through this gateway only.
   */
  readonly outage?: string;
  /** One line per decision the gateway makes (assumes, refusals, denials). */
  readonly log?: (line: string) => void;
  /** The port to listen on; a free one when omitted. */
  readonly port?: number;
}

export interface Gateway {
  readonly endpoint: string;
  readonly port: number;
  /** The role each access key minted through the gateway belongs to. */
  readonly sessions: ReadonlyMap<string, string>;
  /** Per access key: how many of its calls were allowed, denied, or not read (forwarded unevaluated). */
  readonly calls: ReadonlyMap<string, CallCounts>;
  close(): Promise<void>;
}

export interface CallCounts {
  allowed: number;
  denied: number;
  unread: number;
}

/** The gateway's own route: it answers without asking moto. */
export const HEALTH_PATH = "/tandem/gateway";

/** Where a request goes after the gateway's checks. */
type Outcome = { forward: true; onAnswer?: (body: string) => void } | { answer: ErrorAnswer };

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const sessions = new Map<string, string>();
  const calls = new Map<string, CallCounts>();
  const reader = new EmulatorReader(options.moto.endpoint);
  const authorizer = new Authorizer(reader, options.moto.account);
  const log = options.log ?? (() => {});
  const lost = () => lostRegions(options.repoRoot, options.outage ?? options.name);
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      log(`gateway error: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end(`tandem gateway: ${(error as Error).message}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.url === HEALTH_PATH) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ moto: options.moto.endpoint, lost: lost() }));
      return;
    }
    const body = await readBody(req);
    const signed = signedBy(req, body);
    if (lostBy(lost(), signed)) {
      // A lost region answers nothing: the connection is reset at once, so a client fails fast.
      const action = signed.params.Action ?? signed.headers["x-amz-target"] ?? signed.path;
      log(`lost region: dropped ${signed.service} ${signed.region} ${signed.method} ${action}`);
      req.socket.resetAndDestroy();
      return;
    }
    const outcome = await decide(signed);
    if ("answer" in outcome) {
      res.writeHead(outcome.answer.status, outcome.answer.headers);
      res.end(outcome.answer.body);
      return;
    }
    await forward(options.moto, req, body, res, outcome.onAnswer);
  }

  async function decide(signed: SignedRequest): Promise<Outcome> {
    if (signed.params.Action === "AssumeRoleWithWebIdentity") return assume(signed.params);
    const role = signed.accessKeyId ? sessions.get(signed.accessKeyId) : undefined;
    if (!role) return { forward: true }; // the account's admin test credentials, or moto's own keys
    const verdict = await authorizer.authorize(role, signed);
    const counts = calls.get(signed.accessKeyId!) ?? { allowed: 0, denied: 0, unread: 0 };
    counts[verdict.kind]++;
    calls.set(signed.accessKeyId!, counts);
    if (verdict.kind === "unread")
      log(
        `not evaluated (no action read): ${signed.method} ${signed.service ?? "?"} ${signed.path} as ${role}`,
      );
    if (verdict.kind === "denied") {
      log(`denied ${verdict.call} as ${role}: ${verdict.reason}`);
      return { answer: verdict.answer };
    }
    if (signed.params.Action === "AssumeRole") return chain(role, signed.params.RoleArn ?? "");
    return { forward: true };
  }

  /** A session assuming another role gets that role's credentials, tracked like its own. */
  async function chain(callerArn: string, roleArn: string): Promise<Outcome> {
    const target = await reader.role(roleArn);
    const account = options.moto.account;
    if (!target || !trustAllowsRole(target.trust, { callerArn, roleArn, account })) {
      const message = `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn} (tandem sandbox: its trust policy does not allow the caller)`;
      log(`refused AssumeRole ${roleArn} as ${callerArn}: its trust does not allow the caller`);
      return { answer: stsError("AccessDenied", message, 403) };
    }
    return { forward: true, onAnswer: remember(roleArn, `a session of ${callerArn}`) };
  }

  function remember(roleArn: string, who: string) {
    return (answer: string) => {
      const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(answer)?.[1];
      if (!key) return;
      sessions.set(key, roleArn);
      log(`assumed ${roleArn} as ${who} (access key ${key})`);
    };
  }

  async function assume(params: Record<string, string>): Promise<Outcome> {
    const roleArn = params.RoleArn ?? "";
    const refuse = (code: string, message: string, status = 400): Outcome => {
      log(`refused AssumeRoleWithWebIdentity ${roleArn}: ${message}`);
      return { answer: stsError(code, message, status) };
    };
    let claims: Claims;
    try {
      claims = await verifyToken(options.repoRoot, options.name, params.WebIdentityToken ?? "");
    } catch (error) {
      if (error instanceof InvalidToken) return refuse("InvalidIdentityToken", error.message);
      throw error;
    }
    const account = roleArn.split(":")[4] ?? "";
    const providerArn = `arn:aws:iam::${account}:oidc-provider/${GITHUB_OIDC_HOST}`;
    const audiences = await reader.providerAudiences(providerArn);
    if (!audiences) {
      return refuse(
        "InvalidIdentityToken",
        `No OpenIDConnect provider found in your account for https://${GITHUB_OIDC_HOST}`,
      );
    }
    if (!audiences.includes(claims.aud ?? "")) {
      return refuse("InvalidIdentityToken", `Incorrect token audience ${claims.aud ?? "(none)"}`);
    }
    const role = await reader.role(roleArn);
    if (!role) return refuse("AccessDenied", `no role ${roleArn}`, 403);
    const verdict = judgeTrust(role.trust, { roleArn, providerArn, account, claims });
    if (!verdict.allowed) {
      const conditions = verdict.refusing.length
        ? `the trust's condition ${verdict.refusing.map((c) => describeCondition(c, claims)).join("; ")} refuses the token`
        : "no statement of the trust policy allows the token";
      return refuse(
        "AccessDenied",
        `Not authorized to perform sts:AssumeRoleWithWebIdentity on ${roleArn}: ${conditions}`,
        403,
      );
    }
    return { forward: true, onAnswer: remember(roleArn, claims.sub ?? "") };
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    sessions,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `StringEquals <key>` with the token's value of that claim, so the refusal explains itself. */
function describeCondition(condition: string, claims: Claims): string {
  const claim = condition.split(`${GITHUB_OIDC_HOST}:`)[1];
  return claim === undefined
    ? condition
    : `${condition} (the token's ${claim} is ${claims[claim] ?? "absent"})`;
}

export function stsError(code: string, message: string, status: number): ErrorAnswer {
  return {
    status,
    headers: { "content-type": "text/xml" },
    body:
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
      `<Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>` +
      `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

export const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The request to moto as it came (method, path, headers, body), moto's answer back as it is. */
function forward(
  moto: MotoServer,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  onAnswer?: (body: string) => void,
): Promise<void> {
  // The body was read whole (a chunked upload arrives de-chunked): it goes on with its length.
  const { "transfer-encoding": _chunkedRequest, ...requestHeaders } = req.headers;
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: "127.0.0.1",
        port: moto.port,
        method: req.method,
        path: req.url,
        headers: { ...requestHeaders, "content-length": String(body.length) },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const bytes = Buffer.concat(chunks);
          onAnswer?.(bytes.toString("utf8"));
          // The body is sent whole; a HEAD answer keeps the length of what GET would send.
          const { "transfer-encoding": _chunked, ...headers } = answer.headers;
          const length = req.method === "HEAD" ? headers["content-length"] : bytes.length;
          res.writeHead(answer.statusCode ?? 502, { ...headers, "content-length": length });
          res.end(bytes);
          resolve();
        });
        answer.on("error", reject);
      },
    );
    upstream.on("error", reject);
    upstream.end(body);
  });
}
