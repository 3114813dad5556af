import { describe, expect, test } from "vitest";
import { createFakeHttpDeps, TEST_ADMIN_KEY } from "../fake-http-deps.js";
import { createHttpApp } from "../http-app.js";

function update(body: unknown, admin = true): Request {
  return new Request("http://127.0.0.1:3210/api/update_environment_variables", {
    method: "POST",
    headers: admin ? { Authorization: `Convex ${TEST_ADMIN_KEY}` } : {},
    body: JSON.stringify(body),
  });
}

describe("POST /api/update_environment_variables", () => {
  test("passes the changes on, a null value meaning removal", async () => {
    const { deps, environmentChanges } = createFakeHttpDeps();
    const response = await createHttpApp(deps)(
      update({
        changes: [
          { name: "A", value: "1" },
          { name: "B", value: null },
        ],
      }),
    );
    expect(response.status).toBe(200);
    expect(environmentChanges).toEqual([
      [
        { name: "A", value: "1" },
        { name: "B", value: null },
      ],
    ]);
  });

  test("requires an admin key and well-formed changes", async () => {
    const { deps, environmentChanges } = createFakeHttpDeps();
    const app = createHttpApp(deps);
    expect((await app(update({ changes: [] }, false))).status).toBe(401);
    expect(
      (await app(update({ changes: [{ name: "A", value: 1 }] }))).status,
    ).toBe(400);
    expect((await app(update({ changes: "A=1" }))).status).toBe(400);
    expect(environmentChanges).toEqual([]);
  });
});
