import { defineConfig } from "vitest/config";

/** The one vitest setup every project uses: node tests under test/, v8 coverage of src/. */
export function projectConfig(coverageThreshold = 0) {
  return defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      environment: "node",
      testTimeout: 30_000,
      coverage: {
        provider: "v8",
        include: ["src/**/*.ts"],
        reporter: ["text-summary"],
        thresholds: { lines: coverageThreshold },
      },
    },
  });
}
