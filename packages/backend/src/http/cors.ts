/**
 * CORS for browser callers of the client API, as the real backend does it (wire protocol §2.3):
 * mirror the request's Origin and requested headers, allow credentials, and let browsers cache
 * the preflight for a day. HTTP actions are not covered: apps answer their own CORS there.
 */

const ALLOWED_METHODS = "GET, POST, OPTIONS, PATCH, DELETE, PUT";
// One day, the value the real backend sends; browsers cap it lower anyway.
const PREFLIGHT_MAX_AGE_SECONDS = 86_400;

/** True for a CORS preflight: `OPTIONS` with `Access-Control-Request-Method`. */
export function isPreflight(request: Request): boolean {
  return (
    request.method === "OPTIONS" &&
    request.headers.has("access-control-request-method")
  );
}

/** The answer to a preflight request (204, no body). */
export function preflightResponse(request: Request): Response {
  const headers = new Headers({
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    "Access-Control-Max-Age": String(PREFLIGHT_MAX_AGE_SECONDS),
  });
  const requested = request.headers.get("access-control-request-headers");
  if (requested !== null)
    headers.set("Access-Control-Allow-Headers", requested);
  addOriginHeaders(request, headers);
  return new Response(null, { status: 204, headers });
}

/**
 * Adds the CORS headers for `request`'s Origin to `response`; responses to requests without an
 * Origin are returned unchanged.
 */
export function withCors(request: Request, response: Response): Response {
  if (!request.headers.has("origin")) return response;
  addOriginHeaders(request, response.headers);
  return response;
}

function addOriginHeaders(request: Request, headers: Headers): void {
  const origin = request.headers.get("origin");
  if (origin === null) return;
  for (const [name, value] of Object.entries(originHeaders(origin))) {
    if (name === "Vary") headers.append(name, value);
    else headers.set(name, value);
  }
}

/** The CORS headers of an answer to a request from `origin`. */
export function originHeaders(origin: string): Record<string, string> {
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Credentials": "true",
    Vary: "Origin",
  };
}
