import { describe, expect, it } from "vitest";
import { REPO } from "@tandem/generator/testing";
import { tandem } from "./e2e/scratch.ts";

/** Failover accepts data loss: both drills refuse it where the manifest does not schedule it. */
describe("--mode failover", () => {
  it.each([[["drill"]], [["sandbox", "drill"]]])(
    "tandem %j --env staging --mode failover is refused before anything runs",
    async (command) => {
      const { code, stderr, stdout } = await tandem(REPO, [
        ...command,
        "--env",
        "staging",
        "--mode",
        "failover",
      ]);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        /--mode failover accepts data loss; \S*environments\/staging\.yaml schedules drill\.mode: switchover, so only switchover runs here/,
      );
      expect(stderr).not.toContain("internal error");
      expect(stdout).toBe("");
    },
  );
});
