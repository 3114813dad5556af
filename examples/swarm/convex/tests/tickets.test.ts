import { convexTest } from "hull/testing";
import { describe, expect, test } from "vitest";
import { api } from "../_generated/api";
import schema from "../schema";

const modules = import.meta.glob("../**/*.ts");

describe("tickets", () => {
  test("create ticket", async () => {
    const t = convexTest(schema, modules);

    const ticketId = await t.mutation(api.mutations.tickets.create, {
      title: "Test Ticket",
      description: "Test description",
      priority: 1,
    });

    const ticket = await t.query(api.queries.tickets.getById, { ticketId });

    expect(ticket).toBeDefined();
    expect(ticket?.title).toBe("Test Ticket");
    expect(ticket?.state).toBe("draft");
  });

  test("claim ticket - success", async () => {
    const t = convexTest(schema, modules);

    const ticketId = await t.mutation(api.mutations.tickets.create, {
      title: "Test Ticket",
    });
    await t.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });

    const result = await t.mutation(api.mutations.tickets.claim, {
      ticketId,
      vmId: "vm-1",
      assigneeType: "agent",
    });

    expect(result.success).toBe(true);

    const ticket = await t.query(api.queries.tickets.getById, { ticketId });
    expect(ticket?.state).toBe("claimed");
    expect(ticket?.vmId).toBe("vm-1");
  });

  test("claim ticket - already claimed", async () => {
    const t = convexTest(schema, modules);

    const ticketId = await t.mutation(api.mutations.tickets.create, {
      title: "Test Ticket",
    });
    await t.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });
    await t.mutation(api.mutations.tickets.claim, {
      ticketId,
      vmId: "vm-1",
      assigneeType: "agent",
    });

    await expect(
      t.mutation(api.mutations.tickets.claim, {
        ticketId,
        vmId: "vm-2",
        assigneeType: "agent",
      }),
    ).rejects.toThrow("Cannot claim ticket in state: claimed");
  });

  test("claimNext hands out the highest priority first and null when none is left", async () => {
    const t = convexTest(schema, modules);
    for (const priority of [1, 5, 3]) {
      const ticketId = await t.mutation(api.mutations.tickets.create, {
        title: `p${priority}`,
        priority,
      });
      await t.mutation(api.mutations.tickets.setState, {
        ticketId,
        state: "pending",
      });
    }
    const titles = [];
    for (let i = 0; i < 3; i++) {
      const claimed = await t.mutation(api.mutations.tickets.claimNext, {
        vmId: `vm-${i}`,
        assigneeType: "agent",
      });
      titles.push(claimed?.title);
    }
    expect(titles).toEqual(["p5", "p3", "p1"]);
    expect(
      await t.mutation(api.mutations.tickets.claimNext, {
        vmId: "vm-9",
        assigneeType: "agent",
      }),
    ).toBeNull();
  });

  test("concurrent claimNext calls never hand out a ticket twice", async () => {
    const t = convexTest(schema, modules);
    for (let i = 0; i < 10; i++) {
      const ticketId = await t.mutation(api.mutations.tickets.create, {
        title: `t${i}`,
        priority: i % 3,
        tenantId: "acme",
      });
      await t.mutation(api.mutations.tickets.setState, {
        ticketId,
        state: "pending",
      });
    }
    const claims = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        t.mutation(api.mutations.tickets.claimNext, {
          vmId: `vm-${i % 5}`,
          assigneeType: "agent",
          tenantId: "acme",
        }),
      ),
    );
    const won = claims.flatMap((claim) =>
      claim === null ? [] : [claim.ticketId],
    );
    expect(won).toHaveLength(10);
    expect(new Set(won).size).toBe(10);
    const stats = await t.query(api.queries.tickets.getStats, {
      tenantId: "acme",
    });
    expect(stats).toMatchObject({ total: 10, pending: 0, claimed: 10 });
  });

  test("a retryable failure returns the ticket to pending until the retries run out", async () => {
    const t = convexTest(schema, modules);
    const ticketId = await t.mutation(api.mutations.tickets.create, {
      title: "flaky",
    });
    await t.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });
    const states = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await t.mutation(api.mutations.tickets.claim, {
        ticketId,
        vmId: "vm-0",
        assigneeType: "agent",
      });
      const { state } = await t.mutation(api.mutations.tickets.fail, {
        ticketId,
        error: `boom ${attempt}`,
        retryable: true,
      });
      states.push(state);
    }
    expect(states).toEqual(["pending", "pending", "failed"]);
    const ticket = await t.query(api.queries.tickets.getById, { ticketId });
    expect(ticket).toMatchObject({
      state: "failed",
      rejectionCount: 3,
      error: "boom 2",
    });
  });

  test("heartbeat extends the lease only for the VM holding the ticket", async () => {
    const t = convexTest(schema, modules);
    const ticketId = await t.mutation(api.mutations.tickets.create, {
      title: "long",
    });
    await t.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });
    const { leaseExpires } = await t.mutation(api.mutations.tickets.claim, {
      ticketId,
      vmId: "vm-1",
      assigneeType: "agent",
    });
    const renewed = await t.mutation(api.mutations.tickets.heartbeat, {
      ticketId,
      vmId: "vm-1",
      progressLog: "tests written",
    });
    expect(renewed.leaseExpires).toBeGreaterThanOrEqual(leaseExpires);
    await expect(
      t.mutation(api.mutations.tickets.heartbeat, { ticketId, vmId: "vm-2" }),
    ).rejects.toThrow("Ticket is held by vm-1, not vm-2");
  });
});
