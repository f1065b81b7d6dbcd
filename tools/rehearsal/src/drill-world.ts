/**
 * What drill.yml's job reaches in a rehearsal instead of AWS: the drill's emulation of the
 * environment (`startEmulation`: moto, the real payment handler, Route 53 checkers, Aurora's
 * switchover, a fast clock), served on loopback for the job's `tandem drill`
 * (TANDEM_DRILL_WORLD), and the emulation's identity provider served over HTTPS for the
 * manifest's compute.auth.issuer host, which the runner's `curl` reaches on loopback
 * (TANDEM_REHEARSAL_CONNECT_TO) under a certificate authority of the rehearsal's own
 * (TANDEM_REHEARSAL_CA). The token endpoint grants client_credentials to the one client the
 * GitHub environment's secrets name.
 */
import { execFile } from "node:child_process";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  DRILL_WORLD_VARIABLE,
  redirectConsole,
  serveWorld,
  startEmulation,
  type SandboxFault,
} from "@tandem/drill";
import { RehearsalError } from "./errors.ts";

/** The emulation's clock: a staging switchover and failback of about 15 minutes in about 20 s. */
export const DRILL_SPEED = 50;

export interface DrillWorldServed {
  /** The runner's environment for the drill's run. */
  env: Record<string, string>;
  /** The OAuth client drill.yml reads from its GitHub environment's secrets. */
  client: { id: string; secret: string };
  close(): Promise<void>;
}

export async function serveDrillWorld(
  repoRoot: string,
  environment: string,
  dir: string,
  faults: SandboxFault[] = [],
): Promise<DrillWorldServed> {
  const closers: (() => Promise<void>)[] = [logsTo(join(dir, "drill-emulation.log"))];
  // Once: a later drill leg stops the previous leg's world, and the rehearsal's end stops the last.
  const close = async () => {
    for (const stop of closers.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const emulation = await startEmulation({
      root: repoRoot,
      env: environment,
      speed: DRILL_SPEED,
      faults,
    });
    closers.push(() => emulation.close());
    const issuer = emulation.targets.auth?.issuer;
    if (!issuer)
      throw new RehearsalError(
        `environments/${environment}.yaml has no compute.auth.issuer: drill.yml would run without a token, which the rehearsal does not cover`,
      );
    const served = await serveWorld(emulation.world, {
      speed: DRILL_SPEED,
      where: `the drill's emulation of ${environment} (moto, emulated Route 53 and Aurora, clock ${DRILL_SPEED}x${faults.length ? `, faults: ${faults.join(", ")}` : ""})`,
      endpoints: emulation.endpoints,
    });
    closers.push(served.close);
    const client = { id: "tandem-drill-rehearsal", secret: randomBytes(24).toString("hex") };
    const host = new URL(issuer);
    const tls = await certificate(host.hostname, dir);
    const provider = await serveIdentityProvider(host, tls, client, () => emulation.world.token());
    closers.push(provider.close);
    return {
      env: {
        [DRILL_WORLD_VARIABLE]: served.url,
        TANDEM_REHEARSAL_CONNECT_TO: `${host.hostname}:${host.port || 443}:127.0.0.1:${provider.port}`,
        TANDEM_REHEARSAL_CA: tls.certFile,
      },
      client,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The payment handler in the emulation logs with console (stdout and stderr, where Lambda
 * collects it for CloudWatch); a rehearsal's stdout is its JSON report and stderr its progress,
 * so while the emulation runs the console writes to `file` (kept with --keep).
 */
function logsTo(file: string): () => Promise<void> {
  const stream = createWriteStream(file);
  const restore = redirectConsole((text) => stream.write(text));
  return () => {
    restore();
    return new Promise((resolve) => stream.end(resolve));
  };
}

interface Tls {
  certFile: string;
  cert: Buffer;
  key: Buffer;
}

/** A self-signed certificate for `hostname`, which the runner's curl trusts as the only authority. */
async function certificate(hostname: string, dir: string): Promise<Tls> {
  const certFile = join(dir, "issuer.pem");
  const keyFile = join(dir, "issuer-key.pem");
  await promisify(execFile)("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-batch"],
    ...["-keyout", keyFile, "-out", certFile, "-subj", `/CN=${hostname}`],
    ...["-addext", `subjectAltName=DNS:${hostname}`],
  ]).catch((error: Error) => {
    throw new RehearsalError(`openssl could not make the issuer's certificate: ${error.message}`);
  });
  return { certFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** The issuer's discovery document and its token endpoint (client credentials, HTTP Basic). */
async function serveIdentityProvider(
  issuer: URL,
  tls: Tls,
  client: { id: string; secret: string },
  token: () => Promise<string>,
): Promise<{ port: number; close(): Promise<void> }> {
  const base = issuer.href.replace(/\/$/, "");
  const tokenPath = "/oauth2/token";
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const reply = (status: number, json: unknown) => {
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
    };
    const url = new URL(request.url ?? "/", base);
    if (request.method === "GET" && url.pathname === "/.well-known/openid-configuration")
      return reply(200, {
        issuer: issuer.href,
        token_endpoint: `${issuer.origin}${tokenPath}`,
        grant_types_supported: ["client_credentials"],
        token_endpoint_auth_methods_supported: ["client_secret_basic"],
      });
    if (request.method !== "POST" || url.pathname !== tokenPath)
      return reply(404, { error: "not_found" });
    const form = new URLSearchParams(await body(request));
    if (form.get("grant_type") !== "client_credentials")
      return reply(400, { error: "unsupported_grant_type" });
    if (!basicMatches(request.headers.authorization, client))
      return reply(401, { error: "invalid_client" });
    reply(200, { access_token: await token(), token_type: "Bearer", expires_in: 3600 });
  };
  const server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
    handle(request, response).catch((error: Error) =>
      response.writeHead(500).end(`identity provider: ${error.message}`),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function basicMatches(header: string | undefined, client: { id: string; secret: string }) {
  const given = Buffer.from(header?.replace(/^Basic /i, "") ?? "", "base64");
  const expected = Buffer.from(`${client.id}:${client.secret}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
