import net, { type AddressInfo } from "node:net";

/** A TCP forwarder on 127.0.0.1 standing in for a load balancer in front of Hull processes. */
export interface TcpProxy extends AsyncDisposable {
  /** `http://127.0.0.1:<proxy port>`. */
  readonly url: string;
  /** New connections go to `port` from now on; open ones stay where they are. */
  retarget(port: number): void;
  /** Stops listening and cuts every open connection. */
  close(): Promise<void>;
}

/** Starts a proxy forwarding every connection to `127.0.0.1:<targetPort>`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on("error", cut);
      socket.on("close", cut);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    retarget: (next) => (target = next),
    close,
    [Symbol.asyncDispose]: close,
  };
}
