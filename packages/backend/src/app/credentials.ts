import { createHmac, randomBytes as cryptoRandomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {
  generateInstanceSecret,
  isInstanceSecret,
  type InstanceCredentials,
} from "../auth/admin-key.js";
import { BackendError } from "../errors/backend-error.js";

/** The instance name used when none was configured or stored. */
export const DEFAULT_INSTANCE_NAME = "hull";

/** Where the credentials live inside the data directory (as in Convex's self-hosted image). */
export const CREDENTIALS_DIR = "credentials";
const SECRET_FILE = "instance_secret";
const NAME_FILE = "instance_name";

/** Overrides from flags or the environment; stored values are used for whatever is absent. */
export interface CredentialOptions {
  readonly instanceName?: string | undefined;
  readonly instanceSecret?: string | undefined;
  readonly randomBytes?: ((n: number) => Uint8Array) | undefined;
}

/**
 * The instance's name and secret. On first use the secret is generated (32 random bytes) and
 * stored in `<dataDir>/credentials/instance_secret` (mode 0600) with the name beside it; later
 * calls read them back. An explicit `instanceName` replaces the stored one; an explicit
 * `instanceSecret` is used as is and not stored. Throws `BadRequest` for a malformed name or
 * secret.
 */
export async function loadOrCreateCredentials(
  dataDir: string,
  options: CredentialOptions = {},
): Promise<InstanceCredentials> {
  const dir = path.join(dataDir, CREDENTIALS_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const storedName = await readTrimmed(path.join(dir, NAME_FILE));
  const instanceName =
    options.instanceName ?? storedName ?? DEFAULT_INSTANCE_NAME;
  if (instanceName !== storedName) {
    assertInstanceName(instanceName);
    await fs.writeFile(path.join(dir, NAME_FILE), `${instanceName}\n`, {
      mode: 0o600,
    });
  }
  const instanceSecret =
    options.instanceSecret ??
    (await loadOrCreateSecret(
      path.join(dir, SECRET_FILE),
      options.randomBytes,
    ));
  return checkedCredentials(instanceName, instanceSecret);
}

/**
 * Validates a name and secret from anywhere (flags, files, the database) and normalises the
 * secret to lower case. Throws `BadRequest` for a malformed name or secret.
 */
export function checkedCredentials(
  instanceName: string,
  instanceSecret: string,
): InstanceCredentials {
  assertInstanceName(instanceName);
  if (!isInstanceSecret(instanceSecret)) {
    throw new BackendError(
      "BadRequest",
      "InvalidInstanceSecret",
      "The instance secret must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`.",
    );
  }
  return { instanceName, instanceSecret: instanceSecret.toLowerCase() };
}

/** Instance names appear in admin keys before a `|` and in URLs: keep them plain. */
function assertInstanceName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
    throw new BackendError(
      "BadRequest",
      "InvalidInstanceName",
      `Invalid instance name "${name}": use 1-63 lowercase letters, digits and dashes, starting with a letter or digit.`,
    );
  }
}

async function loadOrCreateSecret(
  file: string,
  randomBytes: (n: number) => Uint8Array = cryptoRandomBytes,
): Promise<string> {
  const stored = await readTrimmed(file);
  if (stored !== null) return stored;
  const secret = generateInstanceSecret(randomBytes);
  try {
    // `wx`: if another process created it first, keep theirs.
    await fs.writeFile(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
    return secret;
  } catch (error) {
    if ((error as { code?: unknown }).code === "EEXIST")
      return (await readTrimmed(file)) ?? secret;
    throw error;
  }
}

async function readTrimmed(file: string): Promise<string | null> {
  try {
    const text = (await fs.readFile(file, "utf8")).trim();
    return text === "" ? null : text;
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return null;
    throw error;
  }
}

/**
 * A 32-byte key for `purpose`, derived from the instance secret (HMAC-SHA256), so keys that must
 * outlive a restart (pagination cursor sealing) need no storage of their own. Rotating the
 * secret changes every derived key.
 */
export function deriveInstanceKey(
  credentials: InstanceCredentials,
  purpose: string,
): Uint8Array {
  return new Uint8Array(
    createHmac("sha256", Buffer.from(credentials.instanceSecret, "hex"))
      .update(purpose)
      .digest(),
  );
}
