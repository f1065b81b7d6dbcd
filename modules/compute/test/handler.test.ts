import { createHash } from "node:crypto";
import { DynamoDBServiceException, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { configFromEnv } from "../src/handler/config.ts";
import { ENV, PAYMENT_EVENT } from "../src/handler/contract.ts";
import { paymentIdFor } from "../src/handler/payments.ts";
import { config, event, harness, KEY, PAYMENT, post } from "./fakes.ts";

let h = harness();
let errors = vi.spyOn(console, "error");
beforeEach(() => {
  errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => {
  h.restore();
  h = harness();
  errors.mockRestore();
});

const body = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe("POST /payments records a payment", () => {
  it("writes one item under payment#<key>, only if the key is new, with the request hash and the response", async () => {
    const response = await h.handler(post(PAYMENT));
    expect(response.statusCode).toBe(201);
    expect(body(response)).toEqual({
      paymentId: paymentIdFor(KEY),
      ...PAYMENT,
      status: "recorded",
      createdAt: "2026-01-02T03:04:05.000Z",
    });
    const [put] = h.dynamodb.commandCalls(PutItemCommand);
    expect(put?.args[0].input).toMatchObject({
      TableName: config.tableName,
      ConditionExpression: "attribute_not_exists(pk)",
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
    const item = h.table.items.get(`payment#${KEY}`);
    expect(item?.requestHash?.S).toBe(
      createHash("sha256").update(JSON.stringify(PAYMENT)).digest("hex"),
    );
    expect(item?.response?.S).toBe(response.body);
    expect(item?.statusCode?.N).toBe("201");
  });

  it("publishes PaymentRecorded on the regional bus with its origin region", async () => {
    await h.handler(post(PAYMENT));
    expect(h.published).toHaveLength(1);
    const [entry] = h.published;
    expect(entry).toMatchObject({
      EventBusName: config.eventBusName,
      Source: PAYMENT_EVENT.source,
      DetailType: PAYMENT_EVENT.detailType,
    });
    expect(JSON.parse(entry!.Detail!)).toMatchObject({
      paymentId: paymentIdFor(KEY),
      amount: 1250,
      originRegion: "us-east-1",
    });
  });

  it("accepts a base64-encoded body", async () => {
    const e = post(Buffer.from(JSON.stringify(PAYMENT)).toString("base64"));
    const response = await h.handler({ ...e, isBase64Encoded: true });
    expect(response.statusCode).toBe(201);
  });
});

describe("idempotency", () => {
  it("answers a retry with the first response, byte for byte, without a second payment", async () => {
    const first = await h.handler(post(PAYMENT));
    const second = await h.handler(post(PAYMENT));
    expect(second.statusCode).toBe(first.statusCode);
    expect(second.body).toBe(first.body);
    expect(second.headers?.["idempotent-replayed"]).toBe("true");
    expect(h.table.items.size).toBe(1);
    expect(h.table.writes).toBe(1);
  });

  it("treats the same payment spelled differently (key order, spacing) as the same request", async () => {
    const first = await h.handler(post(PAYMENT));
    const reordered = `{ "reference": "invoice 42", "payee": "acct-002", "payer": "acct-001", "currency": "USD", "amount": 1250 }`;
    const second = await h.handler(post(reordered));
    expect(second.body).toBe(first.body);
  });

  it("refuses the same key with a different body (422) and leaves the first payment alone", async () => {
    const first = await h.handler(post(PAYMENT));
    const conflict = await h.handler(post({ ...PAYMENT, amount: 999 }));
    expect(conflict.statusCode).toBe(422);
    expect(h.table.items.get(`payment#${KEY}`)?.response?.S).toBe(first.body);
    expect(h.table.writes).toBe(1);
  });

  it("records one payment when duplicates arrive at the same time", async () => {
    const responses = await Promise.all([1, 2, 3, 4].map(() => h.handler(post(PAYMENT))));
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
    expect(responses.every((r) => r.statusCode === 201)).toBe(true);
    expect(h.table.writes).toBe(1);
  });

  it("keeps payments under different keys apart", async () => {
    await h.handler(post(PAYMENT));
    await h.handler(post(PAYMENT, { "idempotency-key": "another-key-0000000001" }));
    expect(h.table.items.size).toBe(2);
  });

  it("holds for any sequence of requests: one payment per key, the first answer for its body, 422 for another", async () => {
    const keys = ["key-aaaaaaaaaaaaaaaa", "key-bbbbbbbbbbbbbbbb", "key-cccccccccccccccc"];
    const bodies = [PAYMENT, { ...PAYMENT, amount: 1 }, { ...PAYMENT, currency: "EUR" }];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...keys), fc.nat(2)), { minLength: 1, maxLength: 12 }),
        async (requests) => {
          h.restore();
          h = harness();
          const first = new Map<string, { body: number; response: string }>();
          for (const [key, b] of requests) {
            const response = await h.handler(post(bodies[b], { "idempotency-key": key }));
            const seen = first.get(key);
            if (!seen) {
              expect(response.statusCode).toBe(201);
              first.set(key, { body: b, response: response.body });
            } else if (seen.body === b) {
              expect(response.body).toBe(seen.response);
            } else {
              expect(response.statusCode).toBe(422);
            }
          }
          expect(h.table.writes).toBe(first.size);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("publishes again on a retry, so an event lost after the write is not lost for good", async () => {
    h.events
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "boom" }],
      })
      .callsFake(h.publish);
    const failed = await h.handler(post(PAYMENT));
    expect(failed.statusCode).toBe(500);
    expect(body(failed).message).toMatch(/retry with the same Idempotency-Key/);
    expect(errors).toHaveBeenCalledWith(
      "request failed",
      expect.objectContaining({
        message: expect.stringMatching(/PutEvents failed: InternalFailure/),
      }),
    );
    expect(h.table.writes).toBe(1);
    const retry = await h.handler(post(PAYMENT));
    expect(retry.statusCode).toBe(201);
    expect(h.published).toHaveLength(1);
    expect(JSON.parse(h.published[0]!.Detail!)).toMatchObject({ paymentId: paymentIdFor(KEY) });
  });

  it("fails closed when the conditional write fails without returning the existing item", async () => {
    h.dynamodb
      .on(PutItemCommand)
      .rejects(
        Object.assign(new Error("conditional"), { name: "ConditionalCheckFailedException" }),
      );
    expect((await h.handler(post(PAYMENT))).statusCode).toBe(500);
    expect(h.published).toHaveLength(0);
  });

  it("reports other DynamoDB errors as 500 and publishes nothing", async () => {
    h.dynamodb.on(PutItemCommand).rejects(
      new DynamoDBServiceException({
        name: "ProvisionedThroughputExceededException",
        $fault: "client",
        $metadata: {},
      }),
    );
    expect((await h.handler(post(PAYMENT))).statusCode).toBe(500);
    expect(h.published).toHaveLength(0);
  });
});

describe("validation", () => {
  const rejected = async (e: ReturnType<typeof post>) => {
    const response = await h.handler(e);
    expect(response.statusCode).toBe(400);
    expect(h.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    return body(response);
  };

  it.each([
    ["missing", {}],
    ["too short", { "idempotency-key": "short" }],
    ["with spaces", { "idempotency-key": "has spaces in the key 123" }],
    ["too long", { "idempotency-key": "k".repeat(129) }],
  ])("requires an Idempotency-Key header (%s)", async (_, headers) => {
    expect((await rejected(post(PAYMENT, headers))).message).toMatch(/Idempotency-Key/);
  });

  it("requires a JSON body", async () => {
    expect((await rejected(post("not json"))).message).toBe("body must be JSON");
    expect((await rejected({ ...post(PAYMENT), body: undefined })).message).toBe(
      "body must be JSON",
    );
  });

  it.each([
    ["a zero amount", { amount: 0 }, "amount"],
    ["a negative amount", { amount: -5 }, "amount"],
    ["a fractional amount (minor units are whole)", { amount: 12.5 }, "amount"],
    ["an amount beyond a safe integer", { amount: 2 ** 53 }, "amount"],
    ["an amount as a string", { amount: "1250" }, "amount"],
    ["a lower-case currency", { currency: "usd" }, "currency"],
    ["a currency that is not ISO 4217", { currency: "XYZ" }, "currency"],
    ["an empty payer", { payer: "" }, "payer"],
    ["a long reference", { reference: "r".repeat(141) }, "reference"],
  ])("rejects %s", async (_, change, path) => {
    const result = await rejected(post({ ...PAYMENT, ...change }));
    expect(result.message).toBe("invalid payment");
    expect(result.issues).toEqual([expect.objectContaining({ path })]);
  });

  it("rejects unknown fields rather than storing what it does not understand", async () => {
    const result = await rejected(post({ ...PAYMENT, status: "settled" }));
    expect(JSON.stringify(result.issues)).toMatch(/Unrecognized key/);
  });

  it("needs no reference", async () => {
    const { reference: _reference, ...rest } = PAYMENT;
    expect((await h.handler(post(rest))).statusCode).toBe(201);
  });
});

describe("GET /health", () => {
  it("answers 200 with the region and role when the table and the drill flag are fine", async () => {
    const response = await h.handler(event("GET /health"));
    expect(response.statusCode).toBe(200);
    expect(body(response)).toEqual({
      status: "ok",
      region: "us-east-1",
      role: "primary",
      checks: { drill: "ok", table: "ok" },
    });
    expect(h.ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: config.drillParameterName,
    });
    expect(h.dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toMatchObject({
      TableName: config.tableName,
    });
    expect(response.headers?.["cache-control"]).toBe("no-store");
  });

  it.each(["true", " TRUE\n"])("answers 503 while the drill flag is %j", async (value) => {
    h.restore();
    h = harness({ drill: value });
    const response = await h.handler(event("GET /health"));
    expect(response.statusCode).toBe(503);
    expect(body(response)).toMatchObject({
      status: "unhealthy",
      checks: { drill: "drill", table: "ok" },
    });
  });

  it("answers 503 when the table or the parameter cannot be read", async () => {
    h.dynamodb.on(GetItemCommand).rejects(new Error("AccessDenied"));
    expect(body(await h.handler(event("GET /health")))).toMatchObject({
      checks: { table: "error", drill: "ok" },
    });
    h.ssm.on(GetParameterCommand).rejects(new Error("ParameterNotFound"));
    const response = await h.handler(event("GET /health"));
    expect(response.statusCode).toBe(503);
    expect(body(response)).toMatchObject({ checks: { table: "error", drill: "error" } });
    expect(errors).toHaveBeenCalledWith("health check dependency failed", expect.any(Error));
  });
});

describe("routing and configuration", () => {
  it("answers unknown routes with 404", async () => {
    expect((await h.handler(event("DELETE /payments"))).statusCode).toBe(404);
  });

  it("reads its configuration from the variables the module sets, and fails the cold start without them", () => {
    const env = {
      [ENV.tableName]: "t",
      [ENV.eventBusName]: "b",
      [ENV.drillParameterName]: "/p",
      [ENV.role]: "secondary",
      AWS_REGION: "us-west-2",
    };
    expect(configFromEnv(env)).toEqual({
      tableName: "t",
      eventBusName: "b",
      drillParameterName: "/p",
      region: "us-west-2",
      role: "secondary",
      healthCacheSeconds: 5,
    });
    expect(configFromEnv({ ...env, [ENV.healthCacheSeconds]: "0" }).healthCacheSeconds).toBe(0);
    expect(() => configFromEnv({ ...env, [ENV.healthCacheSeconds]: "1.5" })).toThrow(
      /HEALTH_CACHE_SECONDS must be a whole number/,
    );
    expect(() => configFromEnv({ ...env, [ENV.tableName]: undefined })).toThrow(/TABLE_NAME/);
  });

  it("builds the Lambda entry point from the environment", async () => {
    vi.stubEnv(ENV.tableName, config.tableName);
    vi.stubEnv(ENV.eventBusName, config.eventBusName);
    vi.stubEnv(ENV.drillParameterName, config.drillParameterName);
    vi.stubEnv(ENV.role, config.role);
    vi.stubEnv("AWS_REGION", config.region);
    const { handler } = await import("../src/handler/index.ts");
    expect((await handler(event("GET /health"))).statusCode).toBe(200);
    vi.unstubAllEnvs();
  });
});
