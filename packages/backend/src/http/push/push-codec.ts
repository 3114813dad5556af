import { BackendError } from "../../errors/backend-error.js";
import type { JsonValue } from "../../values/value.js";
import {
  arrayField,
  expectObject,
  optionalStringField,
  stringField,
  type JsonObject,
} from "../json-fields.js";
import type {
  AnalyzedFunction,
  AppAnalysis,
  CronSpec,
  IndexDiff,
  ModuleEnvironment,
  ModuleRef,
  ModuleSource,
  PreparedPush,
  PushDiff,
  PushRequest,
} from "./deploy-api.js";

/*
 * The CLI's push wire shapes (`convex/src/cli/lib/deployApi/*.ts`) ↔ `DeployApi` types. The CLI
 * parses responses with zod `looseObject`, so extra fields survive the round trip: the push id
 * travels inside `schemaChange`, which both `wait_for_schema` and `finish_push` send back.
 */

/** Private field of `schemaChange` that names the prepared push. */
const PUSH_ID_FIELD = "hullPushId";

/**
 * Parses a `start_push`/`evaluate_push`/`evaluate_schema` body. Throws `BadRequest` for a
 * malformed body and for component definitions, which Hull does not run yet.
 */
export function parsePushRequest(body: JsonObject): PushRequest {
  const app = expectObject(body.appDefinition, "appDefinition");
  const components = arrayField(body, "componentDefinitions");
  if (components.length > 0) {
    throw new BackendError(
      "BadRequest",
      "ComponentsNotSupported",
      "This push defines components (convex.config.ts with app.use(...)); Hull does not run components yet.",
    );
  }
  const schema = app.schema;
  return {
    changedModules: arrayField(app, "changedModules").map((m) =>
      parseModuleSource(m),
    ),
    unchangedModules: arrayField(app, "unchangedModuleHashes").map((m) =>
      parseModuleRef(m),
    ),
    schema:
      schema === null || schema === undefined
        ? null
        : parseModuleSource(schema),
    udfServerVersion: stringField(app, "udfServerVersion"),
  };
}

function parseModuleSource(value: JsonValue): ModuleSource {
  const object = expectObject(value, "a module");
  const sourceMap = optionalStringField(object, "sourceMap");
  return {
    path: stringField(object, "path"),
    source: stringField(object, "source"),
    ...(sourceMap === undefined ? {} : { sourceMap }),
    environment: parseEnvironment(object),
  };
}

function parseModuleRef(value: JsonValue): ModuleRef {
  const object = expectObject(value, "a module hash");
  return {
    path: stringField(object, "path"),
    environment: parseEnvironment(object),
    sha256: stringField(object, "sha256"),
  };
}

function parseEnvironment(object: JsonObject): ModuleEnvironment {
  const environment = stringField(object, "environment");
  if (environment !== "isolate" && environment !== "node") {
    throw new BackendError(
      "BadRequest",
      "InvalidRequest",
      `Expected module environment "isolate" or "node", received "${environment}".`,
    );
  }
  return environment;
}

/** The push id stashed in a `schemaChange` (from `wait_for_schema` or `finish_push` bodies). */
export function pushIdFromSchemaChange(schemaChange: unknown): string {
  const object = expectObject(schemaChange, "schemaChange");
  const id = object[PUSH_ID_FIELD];
  if (typeof id !== "string") {
    throw new BackendError(
      "BadRequest",
      "PushNotFound",
      "This push was not started by this deployment (schemaChange has no push id). Run the push again.",
    );
  }
  return id;
}

/** `schemaChange` for a prepared push: CLI-visible index diffs plus the private push id. */
export function encodeSchemaChange(prepared: PreparedPush): JsonObject {
  return {
    allocatedComponentIds: {},
    schemaIds: {},
    indexDiffs: { "": encodeIndexDiff(prepared.indexDiff) },
    [PUSH_ID_FIELD]: prepared.pushId,
  };
}

/** The `start_push` response (`startPushResponse`) for a prepared push. */
export function encodeStartPushResponse(prepared: PreparedPush): JsonObject {
  const { analysis } = prepared;
  return {
    environmentVariables: { ...prepared.environmentVariables },
    externalDepsId: null,
    componentDefinitionPackages: {},
    appAuth: analysis.authProviders as JsonValue[],
    analysis: {
      "": {
        definition: {
          path: "",
          definitionType: { type: "app" },
          childComponents: [],
          httpMounts: {},
          exports: { type: "branch", branch: [] },
        },
        schema: (analysis.schema ?? null) as JsonValue,
        functions: encodeModules(analysis),
        udfConfig: { serverVersion: prepared.udfServerVersion },
      },
    },
    app: {
      definitionPath: "",
      componentPath: "",
      args: {},
      childComponents: {},
      httpRoutes: {
        httpModuleRoutes:
          analysis.httpRoutes === null
            ? null
            : analysis.httpRoutes.map((r) => ({ ...r })),
        mounts: [],
      },
      // A root app (`defineApp()`) exports nothing to other components.
      exports: {},
    },
    schemaChange: encodeSchemaChange(prepared),
  };
}

const UDF_TYPE_NAMES = {
  query: "Query",
  mutation: "Mutation",
  action: "Action",
} as const;

function encodeModules(analysis: AppAnalysis): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const [path, module] of Object.entries(analysis.modules)) {
    out[path] = {
      functions: module.functions.map((f) => encodeFunction(f)),
      httpRoutes:
        path === "http.js" && analysis.httpRoutes !== null
          ? analysis.httpRoutes.map((route) => ({
              route: { ...route },
              pos: null,
            }))
          : null,
      cronSpecs:
        path === "crons.js" && analysis.crons !== null
          ? encodeCrons(analysis.crons)
          : null,
      sourceMapped: null,
    };
  }
  return out;
}

function encodeFunction(f: AnalyzedFunction): JsonValue {
  return {
    name: f.name,
    pos: null,
    udfType: UDF_TYPE_NAMES[f.udfType],
    visibility: f.visibility === null ? null : { kind: f.visibility },
    args: f.args,
    returns: f.returns,
  };
}

function encodeCrons(crons: Readonly<Record<string, CronSpec>>): JsonValue[] {
  return Object.entries(crons).map(([identifier, cron]) => ({
    identifier,
    spec: {
      udfPath: cron.name,
      udfArgs: cron.args as JsonValue[],
      cronSchedule: cron.schedule as JsonValue,
    },
  }));
}

function encodeIndexDiff(diff: IndexDiff): JsonObject {
  return { added_indexes: [...diff.added], removed_indexes: [...diff.removed] };
}

/** The `finish_push` response (`finishPushDiff`). */
export function encodeFinishPushResponse(diff: PushDiff): JsonObject {
  return {
    authDiff: { added: [...diff.auth.added], removed: [...diff.auth.removed] },
    definitionDiffs: {},
    componentDiffs: {
      "": {
        diffType: { type: diff.firstPush ? "create" : "modify" },
        moduleDiff: {
          added: [...diff.modules.added],
          removed: [...diff.modules.removed],
        },
        udfConfigDiff:
          diff.udfServerVersion === null
            ? null
            : {
                previous_version: diff.udfServerVersion.previous,
                next_version: diff.udfServerVersion.next,
              },
        cronDiff: {
          added: [...diff.crons.added],
          updated: [...diff.crons.updated],
          deleted: [...diff.crons.deleted],
        },
        indexDiff: encodeIndexDiff(diff.indexDiff),
        schemaDiff:
          diff.schema === null
            ? null
            : {
                previous_schema: diff.schema.previous,
                next_schema: diff.schema.next,
              },
      },
    },
  };
}
