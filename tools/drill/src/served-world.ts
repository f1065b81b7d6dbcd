/**
 * A running emulation's world, served on loopback to a `tandem drill` in another process: the
 * rehearsal's runner names it in TANDEM_DRILL_WORLD, so the job's drill (unchanged: preflight,
 * flag, checkers, switchover, verify, failback, report) acts on the emulation instead of AWS.
 * The drill's AWS calls carry the job's own credentials (the role its OIDC step assumed) to the
 * emulation's endpoints; HTTPS to the API's names goes through the emulation's resolver; the
 * clock is the emulation's fast clock, rebuilt here from one reading of it. A real run on
 * GitHub never sets TANDEM_DRILL_WORLD.
 */
import { clientsFactory, type DrillWorld, type HttpAnswer, type HttpRequest } from "./world.ts";
import type { RegionClients } from "./world.ts";
import type { Clock } from "./clock.ts";
import { serve, type Served } from "./emulation/http.ts";

export const DRILL_WORLD_VARIABLE = "TANDEM_DRILL_WORLD";

/** What a served world says about itself (GET /world). */
export interface WorldDescription {
  /** Said in the report: where the drill ran. */
  where: string;
  /** The emulation's clock: `speed` times real time, reading `now` at wall-clock time `at`. */
  clock: { speed: number; at: number; now: number };
  /** Where each service the drill calls is served. */
  endpoints: Record<keyof RegionClients, string>;
}

/** Serves `world` (an emulation's, running `speed` times real time) on loopback. */
export function serveWorld(
  world: DrillWorld,
  description: { speed: number; where: string; endpoints: WorldDescription["endpoints"] },
): Promise<Served> {
  return serve(async (request, body, response) => {
    const reply = (status: number, json: unknown) => {
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
    };
    if (request.method === "GET" && request.url === "/world") {
      const clock = { speed: description.speed, at: Date.now(), now: world.clock.now() };
      return reply(200, { ...description, clock } satisfies WorldDescription);
    }
    if (request.method === "POST" && request.url === "/request") {
      try {
        return reply(200, await world.request(JSON.parse(body) as HttpRequest));
      } catch (error) {
        const { message, code } = error as Error & { code?: string };
        return reply(502, { message, ...(code ? { code } : {}) });
      }
    }
    reply(404, { message: `no ${request.method} ${request.url} here` });
  });
}

/**
 * The world served at `url` (TANDEM_DRILL_WORLD), as `tandem drill` uses it. Only a loopback
 * address is taken: the variable names an emulation on the runner's own machine.
 */
export async function servedWorld(
  url: string,
  env: Record<string, string | undefined>,
): Promise<{ world: DrillWorld; where: string }> {
  const base = loopbackUrl(url);
  const answer = await fetch(new URL("/world", base)).catch((error: Error) => {
    throw new Error(`${DRILL_WORLD_VARIABLE}=${url}: no emulation answers (${error.message})`);
  });
  if (!answer.ok) throw new Error(`${DRILL_WORLD_VARIABLE}=${url}: answered ${answer.status}`);
  const description = (await answer.json()) as WorldDescription;
  const world: DrillWorld = {
    clock: clockFrom(description.clock),
    // The job's own credentials (the default chain: what its OIDC step exported).
    clients: clientsFactory({ endpoints: description.endpoints }),
    request: (request) => forward(base, request),
    token: async () => {
      const token = env.TANDEM_DRILL_TOKEN;
      if (!token) throw new Error("TANDEM_DRILL_TOKEN is not set");
      return token;
    },
  };
  return { world, where: `${description.where}, served to this process (${DRILL_WORLD_VARIABLE})` };
}

function loopbackUrl(url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (
    !parsed ||
    parsed.protocol !== "http:" ||
    !["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)
  )
    throw new Error(
      `${DRILL_WORLD_VARIABLE} must be an http://127.0.0.1:<port> address of a served emulation, not "${url}"`,
    );
  return parsed;
}

/** The emulation's fast clock, from one reading of it: both processes share the wall clock. */
export function clockFrom(reading: WorldDescription["clock"]): Clock {
  const { speed, at, now } = reading;
  return {
    now: () => now + Math.round((Date.now() - at) * speed),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / speed))),
  };
}

/** One request through the emulation's resolver; its failure thrown as the emulation threw it. */
async function forward(base: URL, request: HttpRequest): Promise<HttpAnswer> {
  const answer = await fetch(new URL("/request", base), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const json = (await answer.json()) as HttpAnswer | { message: string; code?: string };
  if (answer.status === 200) return json as HttpAnswer;
  const { message, code } = json as { message: string; code?: string };
  throw Object.assign(new Error(message), code ? { code } : {});
}
