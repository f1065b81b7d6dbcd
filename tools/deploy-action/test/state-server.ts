/**
 * Terraform's http state backend on 127.0.0.1: state and lock per root, so a test can leave a
 * lock behind as a killed runner does (a local backend's lock dies with its process).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Backend } from "./fixtures.ts";

export class StateServer {
  readonly states = new Map<string, string>();
  readonly locks = new Map<string, string>();
  private server?: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const [, kind, root] = new URL(req.url ?? "/", "http://state").pathname.split("/");
        const body = Buffer.concat(chunks).toString("utf8");
        const reply = (status: number, text = "") => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(text);
        };
        if (kind === "state" && req.method === "GET")
          return this.states.has(root!) ? reply(200, this.states.get(root!)) : reply(404);
        if (kind === "state" && req.method === "POST") {
          this.states.set(root!, body);
          return reply(200);
        }
        if (kind === "lock" && req.method === "LOCK") {
          if (this.locks.has(root!)) return reply(423, this.locks.get(root!));
          this.locks.set(root!, body);
          return reply(200);
        }
        if (kind === "lock" && req.method === "UNLOCK") {
          this.locks.delete(root!);
          return reply(200);
        }
        reply(405);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The backend block that keeps a root's state and lock here. */
  backend(): Backend {
    return (root) => ({
      http: {
        address: `${this.url}/state/${root}`,
        lock_address: `${this.url}/lock/${root}`,
        unlock_address: `${this.url}/lock/${root}`,
      },
    });
  }
}
