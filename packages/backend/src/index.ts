/**
 * The backend package's public API (STYLE.md §5.8): start a deployment in process. The `hull`
 * command (`cli/main.ts`) is the other entry point.
 */
export {
  Backend,
  createBackend,
  type BackendAddresses,
} from "./app/backend.js";
export type { BackendConfig } from "./app/backend-config.js";
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SITE_PORT,
} from "./app/backend-config.js";
export type { Service } from "./app/service.js";
