// @ts-check
// Nx plugin: one project per environments/<env>.yaml (named env-<env>), with targets to
// validate and synthesize it. Plain CommonJS so Nx loads it without a TypeScript transpiler.
const { readdirSync, readFileSync } = require("node:fs");
const { basename, join } = require("node:path");
const { parse } = require("yaml");

const TANDEM = "node tools/cli/bin/tandem.mjs";

/**
 * The module projects (folders under modules/) a manifest pins; all of them when it cannot be
 * read, which validate will explain. Only existing projects, so a typo never breaks the graph.
 */
function modulesOf(file, workspaceRoot) {
  const domains = readdirSync(join(workspaceRoot, "modules"));
  try {
    const modules = parse(readFileSync(join(workspaceRoot, file), "utf8"))?.modules;
    const used = domains.filter((domain) => modules && typeof modules[domain] === "string");
    return used.length > 0 ? used : domains;
  } catch {
    return domains;
  }
}

/** @type {import("nx/src/project-graph/plugins/public-api").CreateNodes} */
const createNodes = [
  "environments/*.yaml",
  (files, _options, context) =>
    files.map((file) => {
      const env = basename(file, ".yaml");
      const manifest = `{workspaceRoot}/${file}`;
      const inputs = [manifest, "^production"];
      // Synthesis also writes the environment's committed provider lock into every root.
      const lock = `{workspaceRoot}/environments/${env}.terraform.lock.hcl`;
      return [
        file,
        {
          projects: {
            [`environments/${env}`]: {
              name: `env-${env}`,
              tags: ["layer:environment"],
              implicitDependencies: ["cli", ...modulesOf(file, context.workspaceRoot)],
              targets: {
                validate: { command: `${TANDEM} validate ${file}`, cache: true, inputs },
                synth: {
                  command: `${TANDEM} synth --env ${env}`,
                  cache: true,
                  inputs: [...inputs, lock],
                  outputs: [
                    `{workspaceRoot}/dist/environments/${env}`,
                    "{workspaceRoot}/dist/modules",
                  ],
                },
                preview: { command: `${TANDEM} preview --env ${env}`, cache: false },
              },
            },
          },
        },
      ];
    }),
];

module.exports = { name: "tandem-environments", createNodes };
