import { describe, expect, it } from "vitest";
import { parseLockInfo } from "../src/terraform.ts";

const block = (id: string, who: string) => `
Error: Error acquiring the state lock

Error message: HTTP remote state already locked: ID=0f9e-stale
Lock Info:
  ID:        ${id}
  Path:      
  Operation: OperationTypeApply
  Who:       ${who}
  Version:   1.11.4
  Created:   2026-12-02 03:04:05 +0000 UTC
  Info:      
`;

describe("the holder of a state lock, from Terraform's and OpenTofu's error", () => {
  it("reads the Lock Info block when it names the holder (OpenTofu, S3)", () => {
    expect(parseLockInfo(block("0f9e-stale", "runner@gone"))).toEqual({
      id: "0f9e-stale",
      who: "runner@gone",
      operation: "OperationTypeApply",
      created: "2026-12-02 03:04:05 +0000 UTC",
    });
  });

  it("takes the message's ID when the block describes the attempt instead (Terraform's http backend)", () => {
    expect(parseLockInfo(block("c002ab2f-own-attempt", "root@vm"))).toEqual({
      id: "0f9e-stale",
      who: "",
      operation: "",
      created: "",
    });
  });

  it("is undefined for any other error", () => {
    expect(parseLockInfo("Error: Unsupported argument")).toBeUndefined();
  });
});
