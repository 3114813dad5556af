/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as crons from "../crons.js";
import type * as demo from "../demo.js";
import type * as external_claudeActions from "../external/claudeActions.js";
import type * as external_vmActions from "../external/vmActions.js";
import type * as http from "../http.js";
import type * as model_signatures from "../model/signatures.js";
import type * as model_tickets from "../model/tickets.js";
import type * as mutations_hitl from "../mutations/hitl.js";
import type * as mutations_projects from "../mutations/projects.js";
import type * as mutations_tickets from "../mutations/tickets.js";
import type * as mutations_vms from "../mutations/vms.js";
import type * as queries_hitl from "../queries/hitl.js";
import type * as queries_projects from "../queries/projects.js";
import type * as queries_secrets from "../queries/secrets.js";
import type * as queries_tickets from "../queries/tickets.js";
import type * as queries_users from "../queries/users.js";
import type * as queries_vms from "../queries/vms.js";
import type * as webhooks from "../webhooks.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
  crons: typeof crons;
  demo: typeof demo;
  "external/claudeActions": typeof external_claudeActions;
  "external/vmActions": typeof external_vmActions;
  http: typeof http;
  "model/signatures": typeof model_signatures;
  "model/tickets": typeof model_tickets;
  "mutations/hitl": typeof mutations_hitl;
  "mutations/projects": typeof mutations_projects;
  "mutations/tickets": typeof mutations_tickets;
  "mutations/vms": typeof mutations_vms;
  "queries/hitl": typeof queries_hitl;
  "queries/projects": typeof queries_projects;
  "queries/secrets": typeof queries_secrets;
  "queries/tickets": typeof queries_tickets;
  "queries/users": typeof queries_users;
  "queries/vms": typeof queries_vms;
  webhooks: typeof webhooks;
}>;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {};
