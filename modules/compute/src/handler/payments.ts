import { createHash } from "node:crypto";
import { PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import en from "zod/v4/locales/en.js";
import * as z from "zod/mini";
import type { Deps } from "./deps.ts";
import { PAYMENT_EVENT } from "./contract.ts";
import { json, raw, type Response } from "./http.ts";

// zod/mini keeps the bundle small (about a quarter of zod's); the English messages are opt-in.
z.config(en());
const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/** Letters, digits, `-` and `_`: a UUID or a ULID fits, and the key is safe in a DynamoDB key. */
export const IdempotencyKey = z.string().check(z.regex(/^[A-Za-z0-9_-]{16,128}$/));

export const PaymentRequest = z.strictObject({
  /** In the currency's minor unit (cents for USD); z.int() also bounds it to a safe integer. */
  amount: z.int().check(z.positive()),
  currency: z
    .string()
    .check(
      z.refine((code) => CURRENCIES.has(code), "must be an ISO 4217 currency code such as USD"),
    ),
  payer: z.string().check(z.minLength(1), z.maxLength(64)),
  payee: z.string().check(z.minLength(1), z.maxLength(64)),
  reference: z.optional(z.string().check(z.maxLength(140))),
});

export type PaymentRequest = z.infer<typeof PaymentRequest>;
export type Payment = PaymentRequest & { paymentId: string; status: "recorded"; createdAt: string };

/**
 * The payment id, derived from the Idempotency-Key alone (a UUIDv8 of its SHA-256, RFC 9562):
 * a retry that lands in the other region before the global table has replicated the first
 * write records the same payment id there, so the two writes converge to one payment under
 * last-writer-wins, and consumers deduplicate events by it.
 */
export function paymentIdFor(key: string): string {
  const bytes = createHash("sha256").update(`tandem.payment:${key}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Records a payment once per Idempotency-Key. The item is written only if its key is new
 * (`attribute_not_exists(pk)`) and stores the request hash and the response, so a retry gets
 * the first response back and a different body under the same key is refused.
 */
export async function recordPayment(deps: Deps, event: APIGatewayProxyEventV2): Promise<Response> {
  const input = parseRequest(event);
  if ("statusCode" in input) return input;
  const { key, request } = input;
  // The parsed request, keys in schema order: the same payment hashes the same however it is spelled.
  const requestHash = createHash("sha256").update(JSON.stringify(request)).digest("hex");
  const payment: Payment = {
    paymentId: paymentIdFor(key),
    ...request,
    status: "recorded",
    createdAt: deps.now().toISOString(),
  };
  const response = json(201, payment);
  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.config.tableName,
        Item: {
          pk: { S: `payment#${key}` },
          requestHash: { S: requestHash },
          statusCode: { N: String(response.statusCode) },
          response: { S: response.body },
          paymentId: { S: payment.paymentId },
          createdAt: { S: payment.createdAt },
        },
        ConditionExpression: "attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
  } catch (error) {
    if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
    return replay(deps, (error as { Item?: Record<string, AttributeValue> }).Item, requestHash);
  }
  await publish(deps, payment);
  return response;
}

/**
 * The key was used before: same body, same answer; another body, a conflict. The event is
 * published again because the first attempt may have failed after the write (events are
 * at-least-once; consumers deduplicate on paymentId).
 */
async function replay(
  deps: Deps,
  item: Record<string, AttributeValue> | undefined,
  requestHash: string,
): Promise<Response> {
  if (!item?.response?.S || !item.statusCode?.N)
    throw new Error("conditional write failed without the existing item");
  if (item.requestHash?.S !== requestHash) {
    return json(422, {
      message: "this Idempotency-Key was already used with a different request body",
    });
  }
  await publish(deps, JSON.parse(item.response.S) as Payment);
  return raw(Number(item.statusCode.N), item.response.S, { "idempotent-replayed": "true" });
}

async function publish(deps: Deps, payment: Payment): Promise<void> {
  const result = await deps.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: deps.config.eventBusName,
          Source: PAYMENT_EVENT.source,
          DetailType: PAYMENT_EVENT.detailType,
          Detail: JSON.stringify({ ...payment, originRegion: deps.config.region }),
        },
      ],
    }),
  );
  if (result.FailedEntryCount) {
    throw new Error(
      `PutEvents failed: ${result.Entries?.[0]?.ErrorCode ?? "unknown"} ${result.Entries?.[0]?.ErrorMessage ?? ""}`,
    );
  }
}

function parseRequest(
  event: APIGatewayProxyEventV2,
): Response | { key: string; request: PaymentRequest } {
  const key = IdempotencyKey.safeParse(event.headers?.["idempotency-key"]);
  if (!key.success) {
    return json(400, {
      message: "Idempotency-Key header required: 16-128 letters, digits, '-' or '_'",
    });
  }
  const body = parseJson(event);
  if (body === undefined) return json(400, { message: "body must be JSON" });
  const request = PaymentRequest.safeParse(body);
  if (!request.success) {
    const issues = request.error.issues.map((i) => ({
      path: i.path.join("."),
      message: i.message,
    }));
    return json(400, { message: "invalid payment", issues });
  }
  return { key: key.data, request: request.data };
}

function parseJson(event: APIGatewayProxyEventV2): unknown {
  if (!event.body) return undefined;
  const text = event.isBase64Encoded
    ? Buffer.from(event.body, "base64").toString("utf8")
    : event.body;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
