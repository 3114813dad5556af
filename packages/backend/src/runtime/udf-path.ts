/**
 * Function paths. Clients send `"dir/mod:fn"`, `"dir/mod"` (the default export) or already
 * canonical `"dir/mod.js:fn"`; the backend keys functions by the canonical form, as Convex does
 * (`"dir/mod"` → `"dir/mod.js:default"`), and shows users the stripped form (`"dir/mod:fn"`).
 */

/** A parsed canonical function path. */
export interface UdfPath {
  /** Module path relative to convex/, with extension: `"dir/mod.js"`. */
  readonly module: string;
  /** Export name: `"fn"` or `"default"`. */
  readonly name: string;
}

const EXTENSION = /\.(js|ts|jsx|tsx|mjs|cjs)$/;

/** Parses any accepted spelling of a function path. The module gets `.js` if it has no extension. */
export function parseUdfPath(path: string): UdfPath {
  const colon = path.lastIndexOf(":");
  const modulePart = colon === -1 ? path : path.slice(0, colon);
  const name =
    colon === -1 || colon === path.length - 1
      ? "default"
      : path.slice(colon + 1);
  const module = EXTENSION.test(modulePart) ? modulePart : `${modulePart}.js`;
  return { module, name };
}

/** `"dir/mod"` → `"dir/mod.js:default"`, `"mod:fn"` → `"mod.js:fn"`. */
export function canonicalizeUdfPath(path: string): string {
  const { module, name } = parseUdfPath(path);
  return `${module}:${name}`;
}

/**
 * The form users see in messages and `getFunctionMetadata`: extension removed, `:default`
 * omitted (`"dir/mod.js:default"` → `"dir/mod"`, `"mod.js:fn"` → `"mod:fn"`).
 */
export function displayUdfPath(path: string): string {
  const { module, name } = parseUdfPath(path);
  const stripped = module.replace(EXTENSION, "");
  return name === "default" ? stripped : `${stripped}:${name}`;
}
