// @ts-check
// Nx plugin: one project per environments/<env>.yaml (named env-<env>), with targets to
// validate and synthesize it. Plain CommonJS so Nx loads it without a TypeScript transpiler.
const { readFileSync } = require("node:fs");
const { basename, join } = require("node:path");
const { parse } = require("yaml");

const DOMAINS = ["networking", "database", "backup", "compute", "monitoring", "dns"];
const TANDEM = "node tools/generator/bin/tandem.mjs";

/** The module projects a manifest pins (all six when it cannot be read: validate will say why). */
function modulesOf(file) {
  try {
    const modules = parse(readFileSync(file, "utf8"))?.modules;
    const used = DOMAINS.filter((domain) => modules && typeof modules[domain] === "string");
    return used.length > 0 ? used : DOMAINS;
  } catch {
    return DOMAINS;
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
      return [
        file,
        {
          projects: {
            [`environments/${env}`]: {
              name: `env-${env}`,
              tags: ["type:environment"],
              implicitDependencies: ["generator", ...modulesOf(join(context.workspaceRoot, file))],
              targets: {
                validate: { command: `${TANDEM} validate ${file}`, cache: true, inputs },
                synth: {
                  command: `${TANDEM} synth --env ${env}`,
                  cache: true,
                  inputs,
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
