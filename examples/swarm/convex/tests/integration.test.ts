import { convexTest } from "hull/testing";
import { describe, expect, test } from "vitest";
import { api } from "../_generated/api";
import schema from "../schema";

const modules = import.meta.glob("../**/*.ts");

describe("ticket workflow", () => {
  test("full ticket lifecycle", async () => {
    const t = convexTest(schema, modules);

    const projectId = await t.mutation(api.mutations.projects.create, {
      name: "Test Project",
      repoUrl: "https://github.com/test/repo",
    });

    const ticketId = await t.mutation(api.mutations.tickets.create, {
      title: "Implement feature X",
      projectId,
      priority: 2,
    });

    await t.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });

    await t.mutation(api.mutations.tickets.claim, {
      ticketId,
      vmId: "vm-0",
      assigneeType: "agent",
    });

    await t.mutation(api.mutations.tickets.updateProgress, {
      ticketId,
      state: "in_progress",
      progressLog: "Started code generation...",
    });

    await t.mutation(api.mutations.tickets.complete, {
      ticketId,
      result: "Feature implemented successfully",
      prUrl: "https://github.com/test/repo/pull/1",
    });

    const ticket = await t.query(api.queries.tickets.getById, { ticketId });
    expect(ticket?.state).toBe("completed");
    expect(ticket?.prUrl).toBe("https://github.com/test/repo/pull/1");
    expect(ticket?.project?.name).toBe("Test Project");
    expect(
      await t.query(api.queries.tickets.getByProject, { projectId }),
    ).toHaveLength(1);
  });

  test("dependency blocking", async () => {
    const t = convexTest(schema, modules);

    const parentId = await t.mutation(api.mutations.tickets.create, {
      title: "Parent Task",
    });
    const childId = await t.mutation(api.mutations.tickets.create, {
      title: "Child Task",
      dependsOn: [parentId],
    });

    await t.mutation(api.mutations.tickets.setState, {
      ticketId: parentId,
      state: "pending",
    });
    await t.mutation(api.mutations.tickets.setState, {
      ticketId: childId,
      state: "blocked",
    });

    await t.mutation(api.mutations.tickets.claim, {
      ticketId: parentId,
      vmId: "vm-0",
      assigneeType: "agent",
    });
    await t.mutation(api.mutations.tickets.complete, {
      ticketId: parentId,
      result: "Done",
    });

    const child = await t.query(api.queries.tickets.getById, {
      ticketId: childId,
    });
    expect(child?.state).toBe("pending");
  });

  test("a ticket with two dependencies stays blocked until both complete", async () => {
    const t = convexTest(schema, modules);
    const first = await t.mutation(api.mutations.tickets.create, {
      title: "first",
    });
    const second = await t.mutation(api.mutations.tickets.create, {
      title: "second",
    });
    const child = await t.mutation(api.mutations.tickets.create, {
      title: "child",
      dependsOn: [first, second],
    });
    await t.mutation(api.mutations.tickets.setState, {
      ticketId: child,
      state: "blocked",
    });
    for (const ticketId of [first, second]) {
      await t.mutation(api.mutations.tickets.setState, {
        ticketId,
        state: "pending",
      });
      await t.mutation(api.mutations.tickets.claim, {
        ticketId,
        vmId: "vm-0",
        assigneeType: "agent",
      });
    }
    await t.mutation(api.mutations.tickets.complete, { ticketId: first });
    expect(
      (await t.query(api.queries.tickets.getById, { ticketId: child }))?.state,
    ).toBe("blocked");
    await t.mutation(api.mutations.tickets.complete, { ticketId: second });
    expect(
      (await t.query(api.queries.tickets.getById, { ticketId: child }))?.state,
    ).toBe("pending");
  });

  test("HITL chat keeps messages in order and tracks who is waiting", async () => {
    const t = convexTest(schema, modules);
    const sessionId = await t.mutation(api.mutations.hitl.createSession, {
      type: "clarification",
      question: "Which database?",
    });
    await t.mutation(api.mutations.hitl.sendMessage, {
      sessionId,
      role: "assistant",
      content: "SQLite or Postgres?",
    });
    expect(
      (await t.query(api.queries.hitl.getSession, { sessionId }))?.state,
    ).toBe("waiting");
    await t.mutation(api.mutations.hitl.sendMessage, {
      sessionId,
      role: "user",
      content: "Postgres",
    });
    const messages = await t.query(api.queries.hitl.getMessages, { sessionId });
    expect(messages.map((m) => m.content)).toEqual([
      "SQLite or Postgres?",
      "Postgres",
    ]);
    expect(
      (await t.query(api.queries.hitl.getSession, { sessionId }))?.state,
    ).toBe("active");
    await t.mutation(api.mutations.hitl.resolve, {
      sessionId,
      state: "resolved",
      response: "Postgres",
    });
    await expect(
      t.mutation(api.mutations.hitl.sendMessage, {
        sessionId,
        role: "user",
        content: "late",
      }),
    ).rejects.toThrow("The session is resolved");
  });
});
