import { randomBytes } from "node:crypto";
import type { Clock } from "./clock.ts";
import type { DrillWorld, HttpAnswer } from "./world.ts";

/** The header that names the answering region; /health's JSON body carries it too. */
export const REGION_HEADER = "x-tandem-region";

export function answeringRegion(answer: HttpAnswer): string | undefined {
  const header = answer.headers[REGION_HEADER];
  if (header) return header;
  try {
    const body = JSON.parse(answer.body) as { region?: unknown };
    return typeof body.region === "string" ? body.region : undefined;
  } catch {
    return undefined;
  }
}

export interface PaymentRequestBody {
  amount: number;
  currency: string;
  payer: string;
  payee: string;
  reference: string;
}

export interface Payment {
  key: string;
  body: PaymentRequestBody;
  sentAt: number;
  answer?: HttpAnswer;
  error?: string;
}

/** Payments and health through the failover name, authenticated as clients are. */
export class TrafficClient {
  readonly runId = randomBytes(6).toString("hex");
  private count = 0;

  constructor(
    private readonly world: DrillWorld,
    private readonly failoverName: string,
    private readonly environment: string,
  ) {}

  newPayment(purpose: string): { key: string; body: PaymentRequestBody } {
    this.count += 1;
    return {
      key: `tandem-drill-${this.runId}-${purpose}-${this.count}`,
      body: {
        amount: 1,
        currency: "USD",
        payer: "tandem-drill",
        payee: "tandem-drill",
        reference: `DR drill ${this.environment} ${this.runId} ${purpose} ${this.count}`,
      },
    };
  }

  async pay(key: string, body: PaymentRequestBody): Promise<Payment> {
    const sentAt = this.world.clock.now();
    try {
      const token = await this.world.token();
      const answer = await this.world.request({
        host: this.failoverName,
        method: "POST",
        path: "/payments",
        headers: {
          authorization: `Bearer ${token}`,
          "idempotency-key": key,
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
      return { key, body, sentAt, answer };
    } catch (error) {
      return { key, body, sentAt, error: (error as Error).message };
    }
  }

  /** GET /health through the failover name: which region the name answers from. */
  async health(host = this.failoverName): Promise<{ status: number; region?: string }> {
    try {
      const answer = await this.world.request({ host, method: "GET", path: "/health" });
      const region = answeringRegion(answer);
      return region ? { status: answer.status, region } : { status: answer.status };
    } catch {
      return { status: 0 };
    }
  }
}

export interface Sample {
  /** The payment's Idempotency-Key. */
  key: string;
  at: number;
  ok: boolean;
  region?: string;
  status: number;
}

/**
 * A client paying through the failover name every `periodMs` while the drill runs. In a drill
 * the flagged primary still answers; a payment it answers after the flag is set counts as
 * failed, because in the outage the drill stands for it would not have been answered.
 */
export class Prober {
  readonly samples: Sample[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  outageRegion: string | undefined;

  constructor(
    private readonly client: TrafficClient,
    private readonly clock: Clock,
    private readonly periodMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const next = this.clock.now() + this.periodMs;
      await this.probe();
      await this.clock.sleep(next - this.clock.now());
    }
  }

  private async probe(): Promise<void> {
    const { key, body } = this.client.newPayment("probe");
    const payment = await this.client.pay(key, body);
    const status = payment.answer?.status ?? 0;
    // A payment's answer may not name its region; the name's /health, asked at once, does.
    const region =
      (payment.answer && payment.answer.headers["x-tandem-region"]) ??
      (await this.client.health()).region;
    const served = status === 201 && region !== this.outageRegion;
    this.samples.push({
      key,
      at: payment.sentAt,
      ok: served,
      status,
      ...(region ? { region } : {}),
    });
  }

  /** First failed after `from`, to the first succeeded from `region` after that, in seconds. */
  outage(from: number, region: string): { failedAt: number; recoveredAt: number } | undefined {
    const failed = this.samples.find((s) => s.at >= from && !s.ok);
    if (!failed) return undefined;
    const recovered = this.samples.find((s) => s.at > failed.at && s.ok && s.region === region);
    return recovered ? { failedAt: failed.at, recoveredAt: recovered.at } : undefined;
  }
}
