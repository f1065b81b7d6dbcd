import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  type PutItemCommandInput,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient, PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createHandler, createHealthHandler } from "../src/handler/app.ts";
import type { Config } from "../src/handler/config.ts";
import { REGION_HEADER } from "../src/handler/contract.ts";
import { DEPENDENCY_TIMEOUT_MS } from "../src/handler/health.ts";
import { paymentIdFor } from "../src/handler/payments.ts";
import { config, event, KEY, PAYMENT, post } from "./fakes.ts";

type Item = Record<string, AttributeValue>;

/**
 * One region of a global table before replication: conditional writes are checked against this
 * region's items only, as DynamoDB's multi-region eventual consistency does.
 */
class RegionalTable {
  readonly items = new Map<string, Item>();
  put(input: PutItemCommandInput): object {
    const pk = input.Item!.pk!.S!;
    const existing = this.items.get(pk);
    if (existing && input.ConditionExpression === "attribute_not_exists(pk)") {
      throw new ConditionalCheckFailedException({
        message: "The conditional request failed",
        $metadata: {},
        Item: existing,
      });
    }
    this.items.set(pk, input.Item!);
    return {};
  }
}

interface Probe {
  drill: string;
  ssmCalls: number;
  tableCalls: number;
  hang: boolean;
}

/** A region's handler over hand-written clients: the table, the drill flag, the bus. */
function region(
  name: string,
  clock: { now: number },
  probe: Probe,
  overrides: Partial<Config> = {},
) {
  const table = new RegionalTable();
  const published: PutEventsRequestEntry[] = [];
  const never = new Promise<never>(() => undefined);
  const dynamodb = {
    send: async (command: { input: object; constructor: { name: string } }) => {
      if (command.constructor.name === "GetItemCommand") {
        probe.tableCalls += 1;
        return probe.hang ? never : {};
      }
      return table.put(command.input as PutItemCommandInput);
    },
  };
  const ssm = {
    send: async () => {
      probe.ssmCalls += 1;
      return { Parameter: { Value: probe.drill } };
    },
  };
  const events = {
    send: async (command: { input: { Entries: PutEventsRequestEntry[] } }) => {
      published.push(...command.input.Entries);
      return { FailedEntryCount: 0, Entries: [{ EventId: "e" }] };
    },
  };
  const deps = {
    dynamodb: dynamodb as unknown as DynamoDBClient,
    ssm: ssm as unknown as SSMClient,
    events: events as unknown as EventBridgeClient,
    config: { ...config, region: name, healthCacheSeconds: 5, ...overrides },
    now: () => new Date(clock.now),
  };
  return { handler: createHandler(deps), health: createHealthHandler(deps), table, published };
}

const probe = (): Probe => ({ drill: "false", ssmCalls: 0, tableCalls: 0, hang: false });
let errors = vi.spyOn(console, "error");
beforeEach(() => {
  errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => errors.mockRestore());

describe("idempotency across regions (global table, eventual consistency)", () => {
  it("a retry in the other region before replication records the same payment id", async () => {
    const clock = { now: Date.parse("2026-01-02T03:04:05Z") };
    const east = region("us-east-1", clock, probe());
    const west = region("us-west-2", clock, probe());
    const first = await east.handler(post(PAYMENT));
    clock.now += 300;
    const retry = await west.handler(post(PAYMENT));
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    const ids = [first, retry].map((r) => (JSON.parse(r.body) as { paymentId: string }).paymentId);
    expect(ids).toEqual([paymentIdFor(KEY), paymentIdFor(KEY)]);
    // Last writer wins on replication: whichever item survives is the same payment.
    const survivors = [east, west].map((r) => r.table.items.get(`payment#${KEY}`)!.paymentId!.S);
    expect(new Set(survivors)).toEqual(new Set([paymentIdFor(KEY)]));
    // Both regions published it; consumers keep one per paymentId.
    const published = [...east.published, ...west.published].map(
      (e) => (JSON.parse(e.Detail!) as { paymentId: string; originRegion: string }).paymentId,
    );
    expect(new Set(published)).toEqual(new Set([paymentIdFor(KEY)]));
  });

  it("derives a stable UUIDv8 per key, and different keys get different ids", () => {
    const id = paymentIdFor(KEY);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(paymentIdFor(KEY)).toBe(id);
    expect(paymentIdFor(`${KEY}x`)).not.toBe(id);
  });
});

describe("/health under load and during drills", () => {
  it("reuses its reading for the cache time: probes in between call neither SSM nor DynamoDB", async () => {
    const clock = { now: 0 };
    const p = probe();
    const { health } = region("us-east-1", clock, p);
    for (let i = 0; i < 20; i += 1) {
      expect((await health(event("GET /health"))).statusCode).toBe(200);
      clock.now += 200;
    }
    // 20 probes over 4 s: one reading.
    expect([p.ssmCalls, p.tableCalls]).toEqual([1, 1]);
  });

  it("turns 503 within the cache time after the drill sets the flag", async () => {
    const clock = { now: 0 };
    const p = probe();
    const { health } = region("us-east-1", clock, p);
    expect((await health(event("GET /health"))).statusCode).toBe(200);
    p.drill = "true";
    clock.now += 4999;
    expect((await health(event("GET /health"))).statusCode).toBe(200);
    clock.now += 1;
    const drilled = await health(event("GET /health"));
    expect(drilled.statusCode).toBe(503);
    expect(JSON.parse(drilled.body)).toMatchObject({
      region: "us-east-1",
      checks: { drill: "drill", table: "ok" },
    });
  });

  it("answers 503 within the dependency timeout when the table does not answer", async () => {
    const p = { ...probe(), hang: true };
    const { health } = region("us-east-1", { now: 0 }, p, { healthCacheSeconds: 0 });
    const started = Date.now();
    const answer = await health(event("GET /health"));
    const took = Date.now() - started;
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ checks: { drill: "ok", table: "error" } });
    // Route 53 waits 2 s after connecting.
    expect(took).toBeGreaterThanOrEqual(DEPENDENCY_TIMEOUT_MS - 50);
    expect(took).toBeLessThan(1900);
  });
});

describe("the answering region", () => {
  it(`is named in ${REGION_HEADER} on every response`, async () => {
    const { handler, health } = region("us-west-2", { now: 0 }, probe());
    const responses = [
      await handler(post(PAYMENT)),
      await handler(post("not json")),
      await handler(event("GET /nothing")),
      await handler(event("GET /health")),
      await health(event("GET /health")),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([201, 400, 404, 200, 200]);
    for (const r of responses) expect(r.headers?.[REGION_HEADER]).toBe("us-west-2");
  });
});
