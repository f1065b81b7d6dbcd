/**
 * The seam a rehearsal's runner gives `tandem drill` (TANDEM_DRILL_WORLD): a world served on
 * loopback and read back as another process reads it — its fast clock from one reading, HTTPS to
 * a name through the served world's resolver (failures as they were thrown), the services'
 * endpoints, and the token from the job's environment.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fastClock } from "../src/clock.ts";
import { servedWorld, serveWorld } from "../src/served-world.ts";
import type { DrillWorld, HttpRequest } from "../src/world.ts";

const endpoints = {
  rds: "http://127.0.0.1:1/control",
  route53: "http://127.0.0.1:1/control",
  cloudwatch: "http://127.0.0.1:1/control",
  dynamodb: "http://127.0.0.1:1/gateway",
  ssm: "http://127.0.0.1:1/gateway",
};

function emulated(speed: number): DrillWorld & { seen: HttpRequest[] } {
  const seen: HttpRequest[] = [];
  return {
    seen,
    clock: fastClock(speed, Date.parse("2026-03-01T09:00:00Z")),
    clients: () => {
      throw new Error("not served: the reader builds its own clients");
    },
    request: async (request) => {
      seen.push(request);
      if (request.host === "lost.example")
        throw Object.assign(new Error("read ECONNRESET (us-east-1 is lost)"), {
          code: "ECONNRESET",
        });
      return { status: 201, headers: { "x-region": "us-west-2" }, body: request.body ?? "" };
    },
    token: () => Promise.resolve("never served"),
  };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function served(speed = 50) {
  const world = emulated(speed);
  const server = await serveWorld(world, { speed, where: "an emulation", endpoints });
  stops.push(server.close);
  return { world, url: server.url };
}

describe("a served world", () => {
  it("keeps the emulation's clock, speed included, in the reading process", async () => {
    const { world, url } = await served(50);
    const { world: reader, where } = await servedWorld(url, {});
    expect(where).toContain("an emulation");
    expect(Math.abs(reader.clock.now() - world.clock.now())).toBeLessThan(1_000);
    const before = performance.now();
    await reader.clock.sleep(5_000); // 5 s of emulated time is 100 ms at 50x
    expect(performance.now() - before).toBeLessThan(1_000);
    expect(Math.abs(reader.clock.now() - world.clock.now())).toBeLessThan(1_000);
  });

  it("sends requests through the served world and throws its failures with their code", async () => {
    const { world, url } = await served();
    const { world: reader } = await servedWorld(url, {});
    const request: HttpRequest = {
      host: "api.example",
      method: "POST",
      path: "/payments",
      headers: { "idempotency-key": "k1" },
      body: '{"amount":1}',
    };
    await expect(reader.request(request)).resolves.toEqual({
      status: 201,
      headers: { "x-region": "us-west-2" },
      body: '{"amount":1}',
    });
    expect(world.seen).toEqual([request]);
    await expect(
      reader.request({ host: "lost.example", method: "GET", path: "/health" }),
    ).rejects.toMatchObject({ message: "read ECONNRESET (us-east-1 is lost)", code: "ECONNRESET" });
  });

  it("calls the services at the served endpoints, with the job's token", async () => {
    const { url } = await served();
    const { world: reader } = await servedWorld(url, { TANDEM_DRILL_TOKEN: "eyJ.job" });
    const ssm = reader.clients("us-east-1").ssm;
    expect(String((await ssm.config.endpoint!()).path)).toBe("/gateway");
    const rds = reader.clients("us-west-2").rds;
    expect(String((await rds.config.endpoint!()).path)).toBe("/control");
    await expect(reader.token()).resolves.toBe("eyJ.job");
    const { world: tokenless } = await servedWorld(url, {});
    await expect(tokenless.token()).rejects.toThrow("TANDEM_DRILL_TOKEN is not set");
  });

  it("takes only a loopback address, and says when nothing answers there", async () => {
    await expect(servedWorld("https://drill.example.com", {})).rejects.toThrow(
      "TANDEM_DRILL_WORLD must be an http://127.0.0.1:<port> address",
    );
    await expect(servedWorld("http://127.0.0.1:1", {})).rejects.toThrow(
      "TANDEM_DRILL_WORLD=http://127.0.0.1:1: no emulation answers",
    );
  });
});
