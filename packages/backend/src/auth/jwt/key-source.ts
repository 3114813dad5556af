/**
 * Where verification keys come from: OIDC discovery documents and JWKS URLs fetched through an
 * injected `fetch` and cached, or `data:` URIs decoded in place.
 *
 * Caching: a fetched document is reused for `cacheTtlMs`. A token naming a `kid` the cached set
 * lacks forces one refetch (key rotation), but at most once per {@link MIN_REFETCH_INTERVAL_MS}
 * per URL, so tokens with made-up `kid`s cannot make Hull hammer the issuer. Concurrent requests
 * for one URL share a fetch. Failures are not cached.
 */
import type { Clock } from "../../shared/clock.js";
import { jwtError } from "./jwt-errors.js";
import { parseJwkSet, type PublicJwk } from "./jwk-set.js";

/** The subset of `fetch` the verifier uses (the global `fetch` satisfies it). */
export type FetchLike = (
  url: string,
  init: {
    readonly headers: Record<string, string>;
    readonly signal: AbortSignal;
  },
) => Promise<{ readonly status: number; json(): Promise<unknown> }>;

/** How long fetched discovery documents and key sets are reused by default. */
export const DEFAULT_KEY_CACHE_TTL_MS = 10 * 60 * 1000;
/** The shortest time between two fetches of one URL forced by an unknown `kid`. */
export const MIN_REFETCH_INTERVAL_MS = 30 * 1000;
/** An issuer that does not answer within this long fails the verification rather than hanging it. */
export const FETCH_TIMEOUT_MS = 10 * 1000;

interface CacheEntry<T> {
  readonly value: T;
  readonly fetchedAtMs: number;
}

export interface KeySourceOptions {
  readonly fetch: FetchLike;
  readonly clock: Pick<Clock, "now">;
  readonly cacheTtlMs?: number | undefined;
}

/** The parts of an OIDC discovery document the verifier needs. */
export interface OidcDiscovery {
  readonly issuer: string;
  readonly jwksUri: string;
}

export class KeySource {
  readonly #fetch: FetchLike;
  readonly #clock: Pick<Clock, "now">;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, CacheEntry<unknown>>();
  readonly #inflight = new Map<string, Promise<unknown>>();
  /** Keys of `data:` URIs, decoded once: the URI is the whole content, so it never goes stale. */
  readonly #dataUriKeys = new Map<string, PublicJwk[]>();

  constructor(options: KeySourceOptions) {
    this.#fetch = options.fetch;
    this.#clock = options.clock;
    this.#ttlMs = options.cacheTtlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
  }

  /**
   * The discovery document at `<issuer>/.well-known/openid-configuration`. Throws
   * `AuthProviderDiscoveryFailed` if it cannot be fetched, lacks `jwks_uri`, or names another
   * issuer (compared ignoring a trailing slash).
   */
  async discover(issuer: string): Promise<OidcDiscovery> {
    const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const failed = (detail: string) =>
      jwtError(
        "providerUnavailable",
        "AuthProviderDiscoveryFailed",
        `Auth provider discovery of ${issuer} failed: ${detail}`,
      );
    const json = await this.#getJson(url, false, failed);
    const { issuer: named, jwks_uri: jwksUri } = (json ?? {}) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    };
    if (typeof jwksUri !== "string")
      throw failed("the discovery document has no jwks_uri");
    if (
      typeof named !== "string" ||
      named.replace(/\/+$/, "") !== issuer.replace(/\/+$/, "")
    ) {
      throw failed(
        `the discovery document names issuer ${JSON.stringify(named)}`,
      );
    }
    return { issuer: named, jwksUri };
  }

  /**
   * The keys of a JWKS given as an `https:`/`http:` URL or a `data:` URI (base64 or
   * percent-encoded JSON). With `refreshFor`, a cached set lacking that `kid` is refetched
   * (subject to the minimum interval). Throws `InvalidAuthHeader` when the set cannot be had.
   */
  async keys(jwks: string, refreshFor?: string): Promise<PublicJwk[]> {
    if (jwks.startsWith("data:")) {
      const known = this.#dataUriKeys.get(jwks);
      if (known !== undefined) return known;
      const parsed = parseDataUriJwks(jwks);
      this.#dataUriKeys.set(jwks, parsed);
      return parsed;
    }
    const failed = (detail: string) =>
      jwtError(
        "providerUnavailable",
        "InvalidAuthHeader",
        `Could not fetch JWKS from URL '${jwks}': ${detail}. Check that the URL is correct and accessible.`,
      );
    const load = async (force: boolean) => {
      const keys = parseJwkSet(await this.#getJson(jwks, force, failed));
      if (keys === null) {
        this.#cache.delete(jwks);
        throw failed('the response is not a JWKS ({ "keys": [...] })');
      }
      return keys;
    };
    const keys = await load(false);
    if (refreshFor === undefined || keys.some((k) => k.kid === refreshFor))
      return keys;
    const entry = this.#cache.get(jwks);
    if (
      entry !== undefined &&
      this.#clock.now() - entry.fetchedAtMs < MIN_REFETCH_INTERVAL_MS
    )
      return keys;
    return load(true);
  }

  async #getJson(
    url: string,
    force: boolean,
    failed: (detail: string) => Error,
  ): Promise<unknown> {
    const now = this.#clock.now();
    const entry = this.#cache.get(url);
    if (!force && entry !== undefined && now - entry.fetchedAtMs < this.#ttlMs)
      return entry.value;
    const running = this.#inflight.get(url);
    if (running !== undefined) return running;
    const request = this.#fetchJson(url, failed).then((value) => {
      this.#cache.set(url, { value, fetchedAtMs: this.#clock.now() });
      return value;
    });
    this.#inflight.set(url, request);
    try {
      return await request;
    } finally {
      this.#inflight.delete(url);
    }
  }

  async #fetchJson(
    url: string,
    failed: (detail: string) => Error,
  ): Promise<unknown> {
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await this.#fetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (error) {
      throw failed(error instanceof Error ? error.message : String(error));
    }
    if (response.status !== 200) throw failed(`HTTP ${response.status}`);
    try {
      return await response.json();
    } catch {
      throw failed("the response is not JSON");
    }
  }
}

const INVALID_DATA_URI_MESSAGE =
  "Invalid JWKS data URL. Check that the data URL is properly formatted and contains valid base64-encoded JSON.";

/** `data:[<media type>][;base64],<data>` (RFC 2397) holding a JWKS. */
export function parseDataUriJwks(uri: string): PublicJwk[] {
  const invalid = () =>
    jwtError(
      "providerUnavailable",
      "InvalidAuthHeader",
      INVALID_DATA_URI_MESSAGE,
    );
  const comma = uri.indexOf(",");
  if (comma < 0) throw invalid();
  const meta = uri.slice("data:".length, comma);
  const data = uri.slice(comma + 1);
  try {
    const text = /;base64$/i.test(meta)
      ? Buffer.from(data, "base64").toString("utf8")
      : decodeURIComponent(data);
    const keys = parseJwkSet(JSON.parse(text));
    if (keys === null) throw invalid();
    return keys;
  } catch {
    throw invalid();
  }
}
