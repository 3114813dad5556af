/**
 * A token issuer for tests: a fresh key pair, its public JWKS (as JSON, a `data:` URI, or served
 * by a fake `fetch` with OIDC discovery), and a signer for arbitrary claims.
 */
import {
  generateKeyPairSync,
  sign,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import type { FetchLike } from "./key-source.js";

export type TestAlgorithm = "RS256" | "ES256" | "EdDSA";

export interface TestIssuer {
  readonly alg: TestAlgorithm;
  readonly kid: string;
  /** The public JWK, with `kid`, `alg` and `use: "sig"`. */
  readonly publicJwk: JsonWebKey;
  /** Signs `payload` with this issuer's key; `header` adds to or overrides `{alg, kid, typ}`. */
  sign(
    payload: Record<string, unknown>,
    header?: Record<string, unknown>,
  ): string;
}

export function createTestIssuer(
  alg: TestAlgorithm,
  kid = `${alg.toLowerCase()}-key`,
): TestIssuer {
  const { privateKey, publicKey } = generateKeys(alg);
  const publicJwk = {
    ...publicKey.export({ format: "jwk" }),
    kid,
    alg,
    use: "sig",
  };
  return {
    alg,
    kid,
    publicJwk,
    sign: (payload, header = {}) =>
      signJwt(privateKey, alg, { alg, kid, typ: "JWT", ...header }, payload),
  };
}

function generateKeys(alg: TestAlgorithm): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  switch (alg) {
    case "RS256":
      return generateKeyPairSync("rsa", { modulusLength: 2048 });
    case "ES256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "EdDSA":
      return generateKeyPairSync("ed25519");
    default:
      return alg satisfies never;
  }
}

/** A compact JWS over `header` and `payload`, signed with `alg` (ES256 as raw r‖s). */
export function signJwt(
  privateKey: KeyObject,
  alg: TestAlgorithm,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): string {
  const input = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  const data = Buffer.from(input);
  const signature =
    alg === "RS256"
      ? sign("sha256", data, privateKey)
      : alg === "ES256"
        ? sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" })
        : sign(null, data, privateKey);
  return `${input}.${signature.toString("base64url")}`;
}

export function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function jwksOf(...issuers: TestIssuer[]): { keys: JsonWebKey[] } {
  return { keys: issuers.map((i) => i.publicJwk) };
}

/** The JWKS as a `data:` URI, base64 or percent-encoded. */
export function jwksDataUri(
  jwks: unknown,
  encoding: "base64" | "percent" = "base64",
): string {
  const json = JSON.stringify(jwks);
  return encoding === "base64"
    ? `data:text/plain;charset=utf-8;base64,${Buffer.from(json).toString("base64")}`
    : `data:application/json;charset=utf-8,${encodeURIComponent(json)}`;
}

type Route = () =>
  | { status: number; body: unknown }
  | Promise<{ status: number; body: unknown }>;

/** A `fetch` answering fixed JSON per URL and recording every request. */
export class FakeFetch {
  readonly requests: string[] = [];
  readonly #routes = new Map<string, Route>();

  /** Serves `route`'s answer at `url`; a non-function is served as a 200 JSON body. */
  serve(url: string, route: unknown): this {
    this.#routes.set(
      url,
      typeof route === "function"
        ? (route as Route)
        : () => ({ status: 200, body: route }),
    );
    return this;
  }

  /** Serves OIDC discovery for `issuer` (its `issuer` field as given) and the JWKS. */
  serveOidc(
    issuer: string,
    jwks: () => unknown,
    discoveryIssuer = issuer,
  ): this {
    const base = issuer.replace(/\/+$/, "");
    this.serve(`${base}/.well-known/openid-configuration`, {
      issuer: discoveryIssuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
    });
    return this.serve(`${base}/.well-known/jwks.json`, () => ({
      status: 200,
      body: jwks(),
    }));
  }

  readonly fetch: FetchLike = async (url) => {
    this.requests.push(url);
    const route = this.#routes.get(url);
    const { status, body } =
      route === undefined
        ? { status: 404, body: { error: "not found" } }
        : await route();
    return { status, json: () => Promise.resolve(body) };
  };

  count(url: string): number {
    return this.requests.filter((r) => r === url).length;
  }
}
