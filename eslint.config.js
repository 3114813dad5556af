import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Each layer may import only the layers listed before it (see STYLE.md §5.1). */
const layers = ["shared", "errors", "values", "storage", "engine", "model", "runtime", "auth", "sync", "http", "app", "cli"];

function restrictedLayers(layer) {
  const index = layers.indexOf(layer);
  const forbidden = new Set(layers.slice(index + 1));
  if (layer === "storage") forbidden.add("values");
  if (layer === "http") forbidden.add("sync");
  return [...forbidden].map((name) => ({
    group: [`**/${name}/*`, `../${name}/*`, `../../${name}/*`],
    message: `${layer}/ must not import ${name}/ (imports point downward, STYLE.md §5.1).`,
  }));
}

/** The PostgreSQL driver stays behind the Persistence interface. */
const onlyPostgresImportsPg = {
  name: "pg",
  message: "Only storage/postgres/ may import pg; go through the Persistence interface.",
};

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/_generated/**", "examples/**", "**/fixtures/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["vitest.config.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-console": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name='only']", message: "No focused tests." },
      ],
    },
  },
  ...layers.map((layer) => ({
    files: [`packages/backend/src/${layer}/**/*.ts`],
    rules: {
      "no-restricted-imports": ["error", { paths: [onlyPostgresImportsPg], patterns: restrictedLayers(layer) }],
    },
  })),
  {
    files: ["packages/backend/src/storage/postgres/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: restrictedLayers("storage") }] },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
