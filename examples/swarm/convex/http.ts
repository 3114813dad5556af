import { httpRouter } from "convex/server";
import { api, internal } from "./_generated/api";
import { httpAction } from "./_generated/server";
import { verifyGitHubSignature } from "./model/signatures";

const http = httpRouter();

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function errorMessage(error: unknown) {
  return error instanceof Error ? error.message : String(error);
}

/** Agents authenticate with `Authorization: Bearer <SWARM_AGENT_TOKEN>`. */
function isAgent(request: Request) {
  const token = process.env.SWARM_AGENT_TOKEN;
  return (
    token !== undefined &&
    token !== "" &&
    request.headers.get("Authorization") === `Bearer ${token}`
  );
}

async function readJson(
  request: Request,
): Promise<Record<string, unknown> | null> {
  try {
    const body: unknown = await request.json();
    return typeof body === "object" && body !== null
      ? (body as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

interface PullRequestEvent {
  action?: string;
  pull_request?: { merged?: boolean; html_url?: string };
}

// GitHub webhook: a merged pull request completes the ticket that opened it.
http.route({
  path: "/webhooks/github",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const secret = process.env.GITHUB_WEBHOOK_SECRET;
    if (secret === undefined || secret === "")
      return json({ error: "Webhook secret not configured" }, 503);
    // The signature covers the raw bytes, so read the text before parsing it.
    const rawBody = await request.text();
    const signature = request.headers.get("X-Hub-Signature-256");
    if (!(await verifyGitHubSignature(secret, rawBody, signature))) {
      return json({ error: "Invalid signature" }, 401);
    }
    const event = request.headers.get("X-GitHub-Event");
    let payload: PullRequestEvent;
    try {
      payload = JSON.parse(rawBody) as PullRequestEvent;
    } catch {
      return json({ error: "Body is not JSON" }, 400);
    }
    const pr = payload.pull_request;
    if (
      event === "pull_request" &&
      payload.action === "closed" &&
      pr?.merged === true &&
      pr.html_url
    ) {
      const ticketId = await ctx.runMutation(
        internal.webhooks.completeByPrUrl,
        { prUrl: pr.html_url },
      );
      return json({ received: true, completed: ticketId });
    }
    return json({ received: true });
  }),
});

// Agent heartbeat: keeps the lease of the ticket the VM holds, with an optional progress line.
http.route({
  path: "/agent/heartbeat",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    if (!isAgent(request)) return json({ error: "Unauthorized" }, 401);
    const body = await readJson(request);
    if (body === null || typeof body.ticketId !== "string") {
      return json({ error: "Expected { ticketId, vmId?, progress? }" }, 400);
    }
    const ticketId = await ctx.runQuery(internal.webhooks.normalizeTicketId, {
      id: body.ticketId,
    });
    if (ticketId === null) return json({ error: "Unknown ticket id" }, 404);
    try {
      const { leaseExpires } = await ctx.runMutation(
        api.mutations.tickets.heartbeat,
        {
          ticketId,
          ...(body.vmId !== undefined ? { vmId: String(body.vmId) } : {}),
          ...(typeof body.progress === "string"
            ? { progressLog: body.progress }
            : {}),
        },
      );
      return json({ success: true, leaseExpires });
    } catch (error) {
      return json({ success: false, error: errorMessage(error) }, 409);
    }
  }),
});

// Agent claim: the highest-priority pending ticket, claimed atomically (no query-then-claim race).
http.route({
  path: "/agent/claim",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    if (!isAgent(request)) return json({ error: "Unauthorized" }, 401);
    const body = await readJson(request);
    if (body === null || body.vmId === undefined)
      return json({ error: "Expected { vmId, tenantId? }" }, 400);
    const claimed = await ctx.runMutation(api.mutations.tickets.claimNext, {
      vmId: String(body.vmId),
      assigneeType: "agent",
      ...(typeof body.tenantId === "string" ? { tenantId: body.tenantId } : {}),
    });
    if (claimed === null) return json({ ticket: null });
    const ticket = await ctx.runQuery(api.queries.tickets.getById, {
      ticketId: claimed.ticketId,
    });
    return json({ ticket, leaseExpires: claimed.leaseExpires });
  }),
});

export default http;
