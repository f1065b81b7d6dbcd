import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type PutItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createHandler } from "../src/handler/app.ts";
import type { Config } from "../src/handler/config.ts";

type Item = Record<string, AttributeValue>;

export const config: Config = {
  tableName: "payments-test-sessions",
  eventBusName: "payments-test",
  drillParameterName: "/payments-test/drill/unhealthy",
  region: "us-east-1",
  role: "primary",
  healthCacheSeconds: 0,
};

/**
 * A DynamoDB table in memory that keeps DynamoDB's promise for conditional writes: with
 * `attribute_not_exists(pk)` an existing item is never overwritten, and the failure carries the
 * item when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`. Without the condition, a put
 * overwrites, as DynamoDB does: a handler that forgot it would write a second payment.
 */
export class FakeTable {
  readonly items = new Map<string, Item>();
  writes = 0;

  put(input: PutItemCommandInput): object {
    const pk = input.Item?.pk?.S;
    if (!pk || input.TableName !== config.tableName)
      throw new Error(`bad PutItem ${JSON.stringify(input)}`);
    const existing = this.items.get(pk);
    if (existing && input.ConditionExpression === "attribute_not_exists(pk)") {
      throw new ConditionalCheckFailedException({
        message: "The conditional request failed",
        $metadata: {},
        Item: input.ReturnValuesOnConditionCheckFailure === "ALL_OLD" ? existing : undefined,
      });
    }
    this.items.set(pk, input.Item!);
    this.writes += 1;
    return {};
  }
}

/** The three clients mocked, a fake table behind DynamoDB, and the handler wired to them. */
export function harness(options: { drill?: string } = {}) {
  const dynamodb = mockClient(DynamoDBClient);
  const ssm = mockClient(SSMClient);
  const events = mockClient(EventBridgeClient);
  const table = new FakeTable();
  const published: PutEventsRequestEntry[] = [];
  dynamodb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => table.put(input));
  dynamodb.on(GetItemCommand).resolves({});
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: options.drill ?? "false" } });
  const publish = (input: { Entries: PutEventsRequestEntry[] }) => {
    published.push(...input.Entries);
    return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: "e" })) };
  };
  events.on(PutEventsCommand).callsFake(publish);
  const handler = createHandler({
    dynamodb: new DynamoDBClient({ region: config.region }),
    ssm: new SSMClient({ region: config.region }),
    events: new EventBridgeClient({ region: config.region }),
    config,
    now: () => new Date("2026-01-02T03:04:05.000Z"),
  });
  const restore = () => [dynamodb, ssm, events].forEach((m) => m.restore());
  return { handler, table, published, publish, dynamodb, ssm, events, restore };
}

export const KEY = "3f0c8a2e-6b1d-4c59-9a7e-2d4f5b6c7d8e";
export const PAYMENT = {
  amount: 1250,
  currency: "USD",
  payer: "acct-001",
  payee: "acct-002",
  reference: "invoice 42",
};

export function post(
  body: unknown,
  headers: Record<string, string> = { "idempotency-key": KEY },
): APIGatewayProxyEventV2 {
  return event("POST /payments", typeof body === "string" ? body : JSON.stringify(body), headers);
}

export function event(
  routeKey: string,
  body?: string,
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  const [method, path] = routeKey.split(" ") as [string, string];
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers,
    body,
    isBase64Encoded: false,
    requestContext: { http: { method, path } },
  } as unknown as APIGatewayProxyEventV2;
}
