import net from "node:net";
import { expect, test } from "vitest";
import { freePorts } from "./free-port.js";

test("freePorts hands out distinct ports that can be bound once it returns", async () => {
  const ports = await freePorts(8);
  expect(new Set(ports).size).toBe(8);
  const servers = await Promise.all(
    ports.map(
      (port) =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(port, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  await Promise.all(
    servers.map((server) => new Promise((resolve) => server.close(resolve))),
  );
});
