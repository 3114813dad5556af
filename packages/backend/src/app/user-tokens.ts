/**
 * User tokens (JWTs) against the deployed app's `auth.config.js` providers: one verifier per
 * deployed auth config, rebuilt when a push changes the providers (its key cache goes with it).
 */
import {
  parseAuthProviders,
  type AuthProvider,
} from "../auth/jwt/auth-providers.js";
import {
  createJwtVerifier,
  type JwtVerifier,
  type VerifiedJwt,
} from "../auth/jwt/jwt-verifier.js";
import type { FetchLike } from "../auth/jwt/key-source.js";
import type { Clock } from "../shared/clock.js";

export interface UserTokensOptions {
  /** The active deployment's `authProviders` (from the push analysis); null before a deploy. */
  readonly providers: () => readonly unknown[] | null;
  readonly fetch: FetchLike;
  readonly clock: Pick<Clock, "now">;
}

export class UserTokens {
  readonly #options: UserTokensOptions;
  #current: { readonly key: string; readonly verifier: JwtVerifier } | null =
    null;

  constructor(options: UserTokensOptions) {
    this.#options = options;
  }

  /**
   * Verifies `token` against the active providers. Rejects with a `BackendError`
   * (`Unauthenticated`; `NoAuthProvider` when the app has no matching provider).
   */
  async verify(token: string): Promise<VerifiedJwt> {
    return await this.#verifier().verify(token);
  }

  #verifier(): JwtVerifier {
    const providers = this.#options.providers() ?? [];
    const key = JSON.stringify(providers);
    if (this.#current?.key !== key) {
      const parsed: AuthProvider[] = parseAuthProviders(providers);
      this.#current = {
        key,
        verifier: createJwtVerifier({
          providers: parsed,
          fetch: this.#options.fetch,
          clock: this.#options.clock,
        }),
      };
    }
    return this.#current.verifier;
  }
}
