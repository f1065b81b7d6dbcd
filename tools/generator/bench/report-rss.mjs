// Preloaded by the benchmark: reports the process's peak resident set size on exit.
process.on("exit", () =>
  process.stderr.write(`\nTANDEM_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`),
);
