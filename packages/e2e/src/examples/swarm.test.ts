import { createHmac } from "node:crypto";
import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../../../examples/swarm/convex/_generated/api.js";
import { runLoadTest } from "../../../../examples/swarm/scripts/load.js";
import {
  deployExample,
  expectSuccess,
  type DeployedExample,
} from "../example-app.js";

const SECRET = "e2e-webhook-secret";
const TOKEN = "e2e-agent-token";
const PR_URL = "https://github.com/example/swarm/pull/42";

/** A test-only module added to the deployed copy: sets a ticket's PR URL (no public mutation does). */
const SUPPORT_MODULE = `
import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
export const setPrUrl = internalMutation({
  args: { ticketId: v.id("tickets"), prUrl: v.string() },
  handler: async (ctx, { ticketId, prUrl }) => ctx.db.patch(ticketId, { prUrl }),
});
`;

let deployed: DeployedExample;
let client: ConvexHttpClient;

beforeAll(async () => {
  deployed = await deployExample("swarm", { "e2eSupport.ts": SUPPORT_MODULE });
  expectSuccess(
    await deployed.cli(["env", "set", "GITHUB_WEBHOOK_SECRET", SECRET]),
  );
  expectSuccess(await deployed.cli(["env", "set", "SWARM_AGENT_TOKEN", TOKEN]));
  client = new ConvexHttpClient(deployed.hull.url, { logger: false });
}, 120_000);

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

function sign(body: string): string {
  return `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
}

async function post(
  route: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${deployed.hull.siteUrl}${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown>,
  };
}

describe("the swarm example", () => {
  test("demo:seed loads the demo data once", async () => {
    expect(expectSuccess(await deployed.cli(["run", "demo:seed"]))).toContain(
      "true",
    );
    expect(expectSuccess(await deployed.cli(["run", "demo:seed"]))).toContain(
      "false",
    );
    const vms = await client.query(api.queries.vms.getAll, {});
    expect(vms.length).toBeGreaterThan(0);
    const open = await client.query(api.queries.hitl.listOpen, {});
    expect(open.length).toBeGreaterThan(0);
  });

  test("10 VMs calling claimNext concurrently claim 100 tickets exactly once each", async () => {
    const result = await runLoadTest({
      url: deployed.hull.url,
      tickets: 100,
      vms: 10,
    });
    process.stdout.write(
      `swarm load test: ${result.claims} claims, per VM ${result.perVm.join(" ")}, ` +
        `claimNext p50 ${Math.round(result.latency.p50)} ms, p95 ${Math.round(result.latency.p95)} ms, ` +
        `max ${Math.round(result.latency.max)} ms; create ${Math.round(result.createMs)} ms, ` +
        `claims ${Math.round(result.claimMs)} ms\n`,
    );
    expect(result.claims).toBe(100);
    expect(result.duplicates).toEqual([]);
    expect(result.stats).toEqual({ pending: 0, claimed: 100, total: 100 });
  }, 60_000);

  test("the agent endpoints claim and heartbeat with the token and refuse without it", async () => {
    const tenantId = "http-agents";
    const ticketId = await client.mutation(api.mutations.tickets.create, {
      title: "HTTP claim",
      priority: 1,
      tenantId,
    });
    await client.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });
    const body = JSON.stringify({ vmId: 7, tenantId });
    expect((await post("/agent/claim", body, {})).status).toBe(401);
    const claimed = await post("/agent/claim", body, {
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(claimed.status).toBe(200);
    expect(claimed.json.ticket).toMatchObject({ _id: ticketId, vmId: "7" });

    const beat = JSON.stringify({ ticketId, vmId: 7, progress: "halfway" });
    expect((await post("/agent/heartbeat", beat, {})).status).toBe(401);
    const heartbeat = await post("/agent/heartbeat", beat, {
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(heartbeat).toMatchObject({ status: 200, json: { success: true } });
    const wrongVm = await post(
      "/agent/heartbeat",
      JSON.stringify({ ticketId, vmId: 8 }),
      { Authorization: `Bearer ${TOKEN}` },
    );
    expect(wrongVm.status).toBe(409);
  });

  test("a signed merged-PR webhook completes the ticket; a bad signature is refused", async () => {
    const ticketId = await client.mutation(api.mutations.tickets.create, {
      title: "Webhook ticket",
      tenantId: "webhook",
    });
    await client.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });
    await client.mutation(api.mutations.tickets.claim, {
      ticketId,
      vmId: "vm-9",
      assigneeType: "agent",
    });
    expectSuccess(
      await deployed.cli([
        "run",
        "e2eSupport:setPrUrl",
        JSON.stringify({ ticketId, prUrl: PR_URL }),
      ]),
    );
    const body = JSON.stringify({
      action: "closed",
      pull_request: { merged: true, html_url: PR_URL },
    });
    const event = { "X-GitHub-Event": "pull_request" };
    const forged = await post("/webhooks/github", body, {
      ...event,
      "X-Hub-Signature-256": `sha256=${"0".repeat(64)}`,
    });
    expect(forged.status).toBe(401);
    expect((await post("/webhooks/github", body, event)).status).toBe(401);
    const signed = await post("/webhooks/github", body, {
      ...event,
      "X-Hub-Signature-256": sign(body),
    });
    expect(signed).toMatchObject({
      status: 200,
      json: { received: true, completed: ticketId },
    });
    const ticket = await client.query(api.queries.tickets.getById, {
      ticketId,
    });
    expect(ticket?.state).toBe("completed");
  });
});
