import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { DynamodbTableReplicaA as DynamodbTableReplica } from "@cdktf/provider-aws/lib/dynamodb-table-replica/index.js";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import type { ModuleStack } from "@tandem/module-kit";
import { onlyIn } from "./expressions.ts";
import type { DatabaseInputs } from "./variables.ts";

/** Single-table design: sessions under their own key, idempotency records as `pk = "payment#<key>"`. */
export const HASH_KEY = "pk";
/** Epoch seconds after which DynamoDB deletes an item (sessions, idempotency records). */
export const TTL_ATTRIBUTE = "expires_at";

/**
 * The sessions table as a global table: the primary role creates it, the secondary role adds
 * its own region's replica, so each region's root owns its part and encrypts it with its own key.
 */
export function sessionsTable(stack: ModuleStack, inputs: DatabaseInputs, key: KmsKey): void {
  new DynamodbTable(stack, "aws_dynamodb_table.this", {
    count: onlyIn(inputs.role, "primary"),
    name: inputs.tableName,
    billingMode: "PAY_PER_REQUEST",
    hashKey: HASH_KEY,
    attribute: [{ name: HASH_KEY, type: "S" }],
    pointInTimeRecovery: { enabled: true },
    serverSideEncryption: { enabled: true, kmsKeyArn: key.arn },
    streamEnabled: true,
    streamViewType: "NEW_AND_OLD_IMAGES",
    ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
    deletionProtectionEnabled: inputs.deletionProtection,
    // Documented with aws_dynamodb_table_replica: the replicas are managed by the secondary root.
    lifecycle: { ignoreChanges: ["replica"] },
  });
  new DynamodbTableReplica(stack, "aws_dynamodb_table_replica.this", {
    count: onlyIn(inputs.role, "secondary"),
    globalTableArn: inputs.primaryTableArn,
    kmsKeyArn: key.arn,
    pointInTimeRecovery: true,
    deletionProtectionEnabled: inputs.deletionProtection,
  });
}
