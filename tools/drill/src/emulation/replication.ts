import {
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";

/**
 * DynamoDB global tables, which moto does not replicate: each item written in one region is
 * copied to the other, asynchronously, every `periodMs` of real time (AWS: typically within a
 * second; on a fast clock this is seconds of emulated time, still far inside any drill's wait).
 * An item already in the other region is left alone (last writer wins; the drill never writes
 * one key in both regions).
 */
export class TableReplication {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Fault case: replication stopped, so writes stay in the region that took them. */
  paused = false;
  /** Each item is copied once (two regions), so a delete is not undone by copying it back. */
  private readonly copied = new Set<string>();

  constructor(
    private readonly clients: DynamoDBClient[],
    private readonly tableName: string,
    private readonly periodMs = 100,
  ) {}

  /** Replicates what is written from now on; items already there (an earlier run's) stay put. */
  async start(): Promise<void> {
    const tables = await Promise.all(this.clients.map((c) => this.items(c).catch(() => [])));
    for (const item of tables.flat()) this.copied.add(item.pk?.S ?? "");
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (!this.paused) await this.once().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, this.periodMs));
    }
  }

  async once(): Promise<void> {
    const tables = await Promise.all(this.clients.map((c) => this.items(c)));
    for (const [i, client] of this.clients.entries()) {
      const mine = new Set(tables[i]!.map((item) => item.pk?.S));
      const missing = tables
        .flatMap((items, j) => (j === i ? [] : items))
        .filter((item) => !mine.has(item.pk?.S));
      for (const item of missing) {
        const key = item.pk?.S ?? "";
        if (this.copied.has(key)) continue;
        this.copied.add(key);
        await client
          .send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: item,
              ConditionExpression: "attribute_not_exists(pk)",
            }),
          )
          .catch(() => undefined);
      }
    }
  }

  private async items(client: DynamoDBClient): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
