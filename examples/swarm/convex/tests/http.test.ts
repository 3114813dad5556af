import { createHmac } from "node:crypto";
import { convexTest } from "hull/testing";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "../_generated/api";
import schema from "../schema";

const modules = import.meta.glob("../**/*.ts");
const SECRET = "webhook-secret";
const TOKEN = "agent-token";
const PR_URL = "https://github.com/test/repo/pull/7";

function sign(body: string) {
  return `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
}

function mergedPullRequest() {
  return JSON.stringify({
    action: "closed",
    pull_request: { merged: true, html_url: PR_URL },
  });
}

async function workingTicket(t: ReturnType<typeof convexTest>) {
  const ticketId = await t.mutation(api.mutations.tickets.create, {
    title: "PR ticket",
  });
  await t.mutation(api.mutations.tickets.setState, {
    ticketId,
    state: "pending",
  });
  await t.mutation(api.mutations.tickets.claim, {
    ticketId,
    vmId: "vm-3",
    assigneeType: "agent",
  });
  await t.mutation(api.mutations.tickets.updateProgress, {
    ticketId,
    state: "review",
  });
  await t.run(async (ctx) => ctx.db.patch(ticketId, { prUrl: PR_URL }));
  return ticketId;
}

describe("http endpoints", () => {
  beforeEach(() => {
    vi.stubEnv("GITHUB_WEBHOOK_SECRET", SECRET);
    vi.stubEnv("SWARM_AGENT_TOKEN", TOKEN);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  test("a correctly signed merged-PR webhook completes the ticket", async () => {
    const t = convexTest(schema, modules);
    const ticketId = await workingTicket(t);
    const body = mergedPullRequest();
    const response = await t.fetch("/webhooks/github", {
      method: "POST",
      headers: {
        "X-GitHub-Event": "pull_request",
        "X-Hub-Signature-256": sign(body),
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      received: true,
      completed: ticketId,
    });
    expect(
      (await t.query(api.queries.tickets.getById, { ticketId }))?.state,
    ).toBe("completed");
  });

  test("a webhook with a wrong or missing signature is refused and changes nothing", async () => {
    const t = convexTest(schema, modules);
    const ticketId = await workingTicket(t);
    const body = mergedPullRequest();
    for (const signature of [sign(`${body} `), undefined, "sha256=zz"]) {
      const response = await t.fetch("/webhooks/github", {
        method: "POST",
        headers: {
          "X-GitHub-Event": "pull_request",
          ...(signature === undefined
            ? {}
            : { "X-Hub-Signature-256": signature }),
        },
        body,
      });
      expect(response.status).toBe(401);
    }
    expect(
      (await t.query(api.queries.tickets.getById, { ticketId }))?.state,
    ).toBe("review");
  });

  test("agents claim through /agent/claim and keep the lease through /agent/heartbeat", async () => {
    const t = convexTest(schema, modules);
    const ticketId = await t.mutation(api.mutations.tickets.create, {
      title: "for an agent",
    });
    await t.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });
    const auth = {
      Authorization: `Bearer ${TOKEN}`,
      "Content-Type": "application/json",
    };

    const unauthorized = await t.fetch("/agent/claim", {
      method: "POST",
      body: "{}",
    });
    expect(unauthorized.status).toBe(401);

    const claim = await t.fetch("/agent/claim", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ vmId: 4 }),
    });
    const claimed = (await claim.json()) as {
      ticket: { _id: string; vmId: string };
    };
    expect(claimed.ticket).toMatchObject({ _id: ticketId, vmId: "4" });

    const beat = await t.fetch("/agent/heartbeat", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ ticketId, vmId: 4, progress: "halfway" }),
    });
    expect(beat.status).toBe(200);
    expect(
      (await t.query(api.queries.tickets.getById, { ticketId }))?.progressLog,
    ).toBe("halfway");

    const none = await t.fetch("/agent/claim", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ vmId: 5 }),
    });
    expect(await none.json()).toEqual({ ticket: null });

    const stranger = await t.fetch("/agent/heartbeat", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ ticketId, vmId: 5 }),
    });
    expect(stranger.status).toBe(409);
  });
});
