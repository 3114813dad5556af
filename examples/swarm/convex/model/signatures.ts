const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * Checks GitHub's `X-Hub-Signature-256` header (`sha256=<hex HMAC-SHA256 of the raw body>`)
 * with Web Crypto. `crypto.subtle.verify` compares in constant time.
 */
export async function verifyGitHubSignature(
  secret: string,
  rawBody: string,
  header: string | null,
): Promise<boolean> {
  if (header === null || !header.startsWith("sha256=")) return false;
  const signature = hexToBytes(header.slice("sha256=".length));
  if (signature === null || signature.length !== 32) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  return await crypto.subtle.verify(
    "HMAC",
    key,
    signature,
    encoder.encode(rawBody),
  );
}
