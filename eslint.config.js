import js from "@eslint/js";
import nx from "@nx/eslint-plugin";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

/** Layers from the top; each may import only the layers below it. */
const LAYERS = [
  "layer:cli",
  "layer:rehearsal",
  "layer:pipeline",
  "layer:sandbox",
  "layer:generator",
  "layer:module-kit",
];

export default tseslint.config(
  { ignores: ["**/dist/**", "**/coverage/**", "**/releases/**", "**/node_modules/**", ".nx/**"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      // noUncheckedIndexedAccess is on, so `!` is how code states an index it has checked.
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@cdktf/provider-aws",
              message:
                "Import provider classes by deep path (@cdktf/provider-aws/lib/<resource>/index.js): the index loads 2,216 modules.",
            },
          ],
        },
      ],
    },
  },
  {
    // The architecture, one way: cli → rehearsal → deploy-action / drill → sandbox → generator →
    // module-kit; modules → module-kit. Packages import each other by name, never by path.
    plugins: { "@nx": nx, "import-x": importX },
    settings: { "import-x/resolver-next": [createNodeResolver()] },
    rules: {
      "@nx/enforce-module-boundaries": [
        "error",
        {
          enforceBuildableLibDependency: false,
          allow: ["../../vitest.shared.ts"],
          // Commands load these on demand for start-up time; tests may import them directly.
          checkDynamicDependenciesExceptions: ["sandbox", "drill"],
          banTransitiveDependencies: false,
          depConstraints: [
            { sourceTag: "layer:cli", onlyDependOnLibsWithTags: LAYERS.slice(1) },
            { sourceTag: "layer:rehearsal", onlyDependOnLibsWithTags: LAYERS.slice(2) },
            {
              sourceTag: "layer:pipeline",
              onlyDependOnLibsWithTags: [...LAYERS.slice(3), "layer:module"],
            },
            { sourceTag: "layer:sandbox", onlyDependOnLibsWithTags: LAYERS.slice(4) },
            { sourceTag: "layer:generator", onlyDependOnLibsWithTags: LAYERS.slice(5) },
            { sourceTag: "layer:module", onlyDependOnLibsWithTags: ["layer:module-kit"] },
            { sourceTag: "layer:module-kit", onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
      "import-x/no-cycle": "error",
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
