import { expect, test } from "vitest";
import { loadKnownGaps, loadProviderWaits, unexplainedAttributes, waitFor } from "../src/gaps.ts";

test("a slow resource is explained by the provider's fixed wait for its type, wherever it sits", () => {
  const waits = loadProviderWaits();
  expect(waitFor(waits, "module.database.aws_dynamodb_table_replica.this[0]")?.id).toBe(
    "dynamodb-replica-delay",
  );
  expect(waitFor(waits, "aws_s3_bucket_lifecycle_configuration.state_us_east_1")?.id).toBe(
    "s3-lifecycle-confirmations",
  );
  expect(waitFor(waits, "module.compute.aws_lambda_function.payments")).toBeUndefined();
});

test("each fixed wait is listed once per resource type, with what it measured", () => {
  const types = loadProviderWaits().flatMap((wait) => wait.types);
  expect(new Set(types).size).toBe(types.length);
  for (const wait of loadProviderWaits()) expect(wait.seconds).toBeGreaterThan(5);
});

test("a re-plan's attributes are left unexplained unless an open gap of the resource's type lists them", () => {
  const gaps = loadKnownGaps();
  const lambda = "module.compute.aws_lambda_function.health";
  expect(unexplainedAttributes(gaps, lambda, ["logging_config", "memory_size"])).toEqual([
    "memory_size",
  ]);
  // An extended gap (moto answers as AWS) explains nothing.
  const globalCluster = "module.database.aws_rds_global_cluster.this[0]";
  expect(unexplainedAttributes(gaps, globalCluster, ["tags_all"])).toEqual(["tags_all"]);
});
