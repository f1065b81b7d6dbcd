import { relative } from "node:path";
import { defineConfig } from "vitest/config";
import type { Reporter } from "vitest/node";

/**
 * Names the skipped tests when a run ends. Under CI=true a skip fails the run: the suite is whole
 * only when every test ran, and a test skips only where a tool cannot be had.
 */
const skippedTests: Reporter = {
  onTestRunEnd(testModules) {
    const skipped = testModules.flatMap((module) =>
      [...module.children.allTests("skipped")].map(
        (test) => `${relative(process.cwd(), module.moduleId)}: ${test.fullName}`,
      ),
    );
    if (skipped.length === 0) return;
    const failing = process.env.CI === "true";
    console.warn(
      `${skipped.length} test(s) skipped${failing ? " (CI=true: every test must run)" : ""}:\n` +
        skipped.map((name) => `  ${name}`).join("\n"),
    );
    if (failing) process.exitCode = 1;
  },
};

/** The one vitest setup every project uses: node tests under test/, v8 coverage of src/. */
export function projectConfig(coverageThreshold = 0) {
  return defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      environment: "node",
      testTimeout: 30_000,
      // Hooks start real tools (terraform, moto); a loaded 2-core machine needs more than 10 s.
      hookTimeout: 60_000,
      reporters: ["default", skippedTests],
      coverage: {
        provider: "v8",
        include: ["src/**/*.ts"],
        reporter: ["text-summary"],
        thresholds: { lines: coverageThreshold },
      },
    },
  });
}
