import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack, type TerraformElement } from "cdktf";
import type { Node } from "constructs";

/**
 * A stack whose Terraform names are the construct ids, so a module reads `aws_vpc.this`
 * instead of CDKTF's hashed ids. Construct ids must be unique in the stack while Terraform
 * names need only be unique per type, so an id may be written as the full address
 * (`aws_kms_key.this`, `data.aws_region.current`): the name is the part after the last dot.
 */
export class ModuleStack extends TerraformStack {
  constructor(name: string) {
    // The App is only a scope: modules are read with toTerraform(), never synthesized to disk.
    super(new App({ skipValidation: true, outdir: join(tmpdir(), "tandem-cdktf-app") }), name);
  }

  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const id = "node" in element ? element.node.id : element.id;
    return id.slice(id.lastIndexOf(".") + 1);
  }
}
