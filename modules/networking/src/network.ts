import { TerraformIterator, TerraformLocal, Token } from "cdktf";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones/index.js";
import { Eip } from "@cdktf/provider-aws/lib/eip/index.js";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway/index.js";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway/index.js";
import { Route } from "@cdktf/provider-aws/lib/route/index.js";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table/index.js";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association/index.js";
import { Subnet } from "@cdktf/provider-aws/lib/subnet/index.js";
import { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import type { ModuleStack } from "@tandem/module-kit";

const byAz = (local: string) => TerraformIterator.fromMap(Token.asAnyMap(`\${local.${local}}`));

/**
 * The VPC and its subnets, keyed by AZ name so addresses read `aws_subnet.private["us-east-1a"]`
 * and adding an AZ never renumbers the others. Public subnets take /24s (of a /16) from the last
 * sixteenth of the range, private subnets a /20 each from the first six sixteenths.
 */
export function vpcAndSubnets(stack: ModuleStack, name: string): Vpc {
  // The Region's own AZs (Local and Wavelength Zones are opt-in), sorted by name. No `state`
  // filter: an AZ reported impaired during an incident would drop out and shift every later key.
  const zones = new DataAwsAvailabilityZones(stack, "data.aws_availability_zones.available", {
    filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
  });
  new TerraformLocal(
    stack,
    "azs",
    `\${slice(${zones.fqn}.names, 0, min(var.az_count, length(${zones.fqn}.names)))}`,
  );
  new TerraformLocal(
    stack,
    "public_subnets",
    "${{ for i, az in local.azs : az => cidrsubnet(var.cidr_block, 8, 240 + i) }}",
  );
  new TerraformLocal(
    stack,
    "private_subnets",
    "${{ for i, az in local.azs : az => cidrsubnet(var.cidr_block, 4, i) }}",
  );
  new TerraformLocal(
    stack,
    "nat_azs",
    "${toset(var.single_nat_gateway ? slice(local.azs, 0, 1) : local.azs)}",
  );

  const vpc = new Vpc(stack, "this", {
    cidrBlock: "${var.cidr_block}",
    enableDnsSupport: true,
    enableDnsHostnames: true,
    tags: { Name: name },
    lifecycle: {
      precondition: [
        {
          condition: `\${length(${zones.fqn}.names) >= var.az_count}`,
          errorMessage: `az_count exceeds the availability zones this Region offers.`,
        },
      ],
    },
  });
  for (const tier of ["public", "private"] as const) {
    const az = byAz(`${tier}_subnets`);
    new Subnet(stack, `aws_subnet.${tier}`, {
      forEach: az,
      vpcId: vpc.id,
      availabilityZone: az.key,
      cidrBlock: az.value,
      // Nothing in the public tier needs a public IP of its own: NAT gateways use Elastic IPs.
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-${tier}-${az.key}`, Tier: tier },
    });
  }
  return vpc;
}

/** Internet gateway and the public route table: the only way in or out of the VPC. */
export function publicRouting(stack: ModuleStack, name: string, vpc: Vpc): InternetGateway {
  const igw = new InternetGateway(stack, "aws_internet_gateway.this", {
    vpcId: vpc.id,
    tags: { Name: name },
  });
  const table = new RouteTable(stack, "aws_route_table.public", {
    vpcId: vpc.id,
    tags: { Name: `${name}-public` },
  });
  new Route(stack, "aws_route.public_internet", {
    routeTableId: table.id,
    destinationCidrBlock: "0.0.0.0/0",
    gatewayId: igw.id,
  });
  const az = byAz("public_subnets");
  new RouteTableAssociation(stack, "aws_route_table_association.public", {
    forEach: az,
    subnetId: "${aws_subnet.public[each.key].id}",
    routeTableId: table.id,
  });
  return igw;
}

/**
 * NAT gateways (one per AZ, or one for the VPC) and a private route table per AZ whose default
 * route leaves through its own AZ's NAT gateway, so losing one AZ does not cut the others off.
 */
export function privateRouting(
  stack: ModuleStack,
  name: string,
  vpc: Vpc,
  igw: InternetGateway,
): RouteTable {
  const natAz = byAz("nat_azs");
  new Eip(stack, "aws_eip.nat", {
    forEach: natAz,
    domain: "vpc",
    tags: { Name: `${name}-nat-${natAz.value}` },
    dependsOn: [igw],
  });
  new NatGateway(stack, "aws_nat_gateway.this", {
    forEach: natAz,
    allocationId: "${aws_eip.nat[each.key].id}",
    subnetId: "${aws_subnet.public[each.key].id}",
    tags: { Name: `${name}-${natAz.value}` },
    dependsOn: [igw],
  });
  const az = byAz("private_subnets");
  const table = new RouteTable(stack, "aws_route_table.private", {
    forEach: az,
    vpcId: vpc.id,
    tags: { Name: `${name}-private-${az.key}` },
  });
  new Route(stack, "aws_route.private_nat", {
    forEach: az,
    routeTableId: "${aws_route_table.private[each.key].id}",
    destinationCidrBlock: "0.0.0.0/0",
    natGatewayId: "${aws_nat_gateway.this[var.single_nat_gateway ? local.azs[0] : each.key].id}",
  });
  new RouteTableAssociation(stack, "aws_route_table_association.private", {
    forEach: az,
    subnetId: "${aws_subnet.private[each.key].id}",
    routeTableId: "${aws_route_table.private[each.key].id}",
  });
  return table;
}
