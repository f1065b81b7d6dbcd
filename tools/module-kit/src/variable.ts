import { TerraformVariable } from "cdktf";
import type { ModuleStack } from "./module-stack.ts";

/** A validation rule: an HCL expression (no `${}`) and the message Terraform shows when it is false. */
export type VariableRule = [condition: string, errorMessage: string];

export interface VariableOptions {
  /** Terraform type constraint, e.g. `list(string)`. */
  type: string;
  description: string;
  /** Makes the variable optional; `null` is written as an explicit `default = null`. */
  default?: unknown;
  nullable?: boolean;
  sensitive?: boolean;
  /** Validation blocks, in order; an empty list writes an empty `validation`. */
  rules?: VariableRule[];
}

/**
 * A Terraform variable with only the keys given. Terraform JSON reads a bare string as a literal,
 * so each rule's condition is wrapped in `${...}` to be evaluated as an expression.
 */
export function variable(
  stack: ModuleStack,
  name: string,
  options: VariableOptions,
): TerraformVariable {
  const { default: value, rules, ...keys } = options;
  const created = new TerraformVariable(stack, name, {
    ...keys,
    ...(value === undefined || value === null ? {} : { default: value }),
    validation: rules?.map(([condition, errorMessage]) => ({
      condition: `\${${condition}}`,
      errorMessage,
    })),
  });
  // cdktf drops `default: null`; the override writes it as-is.
  if (value === null) created.addOverride("default", null);
  return created;
}
