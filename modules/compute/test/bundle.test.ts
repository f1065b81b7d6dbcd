import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { unzipSync } from "fflate";
import { afterAll, describe, expect, it, vi } from "vitest";
import { bundleHandler } from "../src/bundle.ts";
import { ENV } from "../src/handler/contract.ts";
import { event, post, PAYMENT } from "./fakes.ts";

const moduleDir = fileURLToPath(new URL("..", import.meta.url));
const zip = bundleHandler(moduleDir);
const files = unzipSync(zip);
const code = new TextDecoder().decode(files["index.mjs"]);
const scratch = mkdtempSync(join(tmpdir(), "tandem-compute-bundle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The zip's central directory entry for its only file: version made by, attributes, DOS time. */
function centralEntry(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offset = bytes.findIndex((_, i) => view.getUint32(i, true) === 0x02014b50);
  return {
    os: bytes[offset + 5],
    time: view.getUint32(offset + 12, true),
    mode: view.getUint32(offset + 38, true) >>> 16,
  };
}

describe("handler.zip", () => {
  it("is byte-for-byte the same on every build", () => {
    expect(bundleHandler(moduleDir)).toEqual(zip);
  });

  it("does not depend on the time zone of the machine that builds it", () => {
    try {
      vi.stubEnv("TZ", "Pacific/Kiritimati");
      const east = bundleHandler(moduleDir);
      vi.stubEnv("TZ", "America/Adak");
      expect(bundleHandler(moduleDir)).toEqual(east);
      expect(east).toEqual(zip);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("builds the same bytes from another checkout without node_modules (an older release)", () => {
    const tree = join(scratch, "checkout", "modules", "compute");
    cpSync(join(moduleDir, "src"), join(tree, "src"), { recursive: true });
    expect(bundleHandler(tree)).toEqual(zip);
  });

  it("holds one world-readable ES module with a fixed timestamp", () => {
    expect(Object.keys(files)).toEqual(["index.mjs"]);
    const entry = centralEntry(zip);
    expect(entry.os).toBe(3);
    expect(entry.mode).toBe(0o100644);
    expect(entry.time).toBe(((1980 - 1980) << 25) | (1 << 21) | (1 << 16));
  });

  it("leaves the AWS SDK to the Lambda runtime and bundles the rest", () => {
    const imports = [...code.matchAll(/\bfrom\s*"([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(imports)).toEqual(
      new Set([
        "node:crypto",
        "@aws-sdk/client-cloudwatch",
        "@aws-sdk/client-dynamodb",
        "@aws-sdk/client-eventbridge",
        "@aws-sdk/client-ssm",
      ]),
    );
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).not.toContain(moduleDir);
  });

  it("runs: the bundle loads, validates and routes without calling AWS", async () => {
    // The bundle beside this installation's packages, as the runtime would provide the SDK.
    writeFileSync(join(scratch, "index.mjs"), files["index.mjs"]!);
    const sdk = createRequire(import.meta.url).resolve("@aws-sdk/client-dynamodb");
    symlinkSync(
      sdk.slice(0, sdk.lastIndexOf("node_modules") + "node_modules".length),
      join(scratch, "node_modules"),
    );
    const env = {
      [ENV.tableName]: "t",
      [ENV.eventBusName]: "b",
      [ENV.drillParameterName]: "/p",
      [ENV.role]: "primary",
      AWS_REGION: "us-east-1",
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const { handler, regionCheck } = (await import(
        pathToFileURL(join(scratch, "index.mjs")).href
      )) as {
        handler: (e: unknown) => Promise<{ statusCode: number; body: string }>;
        regionCheck: () => Promise<unknown>;
      };
      // Every function loads the same bundle: only the region check's needs PEER_REGION.
      await expect(regionCheck()).rejects.toThrow("PEER_REGION must be an AWS region, not unset");
      expect((await handler(event("GET /nowhere"))).statusCode).toBe(404);
      const invalid = await handler(post({ ...PAYMENT, amount: -1 }));
      expect(invalid.statusCode).toBe(400);
      expect(JSON.parse(invalid.body).issues[0].message).toMatch(/expected number to be >0/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
