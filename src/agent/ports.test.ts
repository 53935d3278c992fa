import { afterAll, expect, test } from "bun:test";
import { connect, createServer, type Server } from "node:net";
import { listeningPorts, recentListeningPorts, parseListeningPorts, portConflictMessage, takenPorts } from "./ports.ts";

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

function listen(host: string): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.end());
    servers.push(s);
    s.listen(0, host, () => resolve((s.address() as { port: number }).port));
  });
}

test("/proc/net/tcp: only LISTEN sockets count", () => {
  const table = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1",
    "   1: 0100007F:C350 0100007F:1F90 06 00000000:00000000 03:00000000 00000000     0        0 0", // TIME_WAIT
    "   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2",
  ].join("\n");
  expect(parseListeningPorts(table)).toEqual([8080, 22]);
});

test("a port listened on (loopback, every address, IPv6) is taken; a client's port and a released one are not", async () => {
  const loopback = await listen("127.0.0.1");
  const wildcard = await listen("0.0.0.0");
  const v6 = await listen("::");
  const client = await new Promise<number>((resolve) => {
    const c = connect(loopback, "127.0.0.1", () => resolve(c.localPort!));
  });
  const now = listeningPorts();
  expect([now.has(loopback), now.has(wildcard), now.has(v6), now.has(client)]).toEqual([true, true, true, false]);
  const s = servers.pop()!;
  await new Promise((r) => s.close(r));
  expect(listeningPorts().has(v6)).toBe(false);
});

test("only the cap's non-zero ports are checked, and the conflict reads as a placement failure", () => {
  const listening = new Set([8080, 9090]);
  expect(takenPorts([{ name: "a", port: 0 }, { name: "http", port: 8080 }, { name: "x", port: 7070 }], listening)).toEqual([{ name: "http", port: 8080 }]);
  expect(portConflictMessage([{ name: "http", port: 8080 }])).toBe("placement failed: port 8080 (http) is already in use on this host");
  expect(portConflictMessage([{ name: "http", port: 8080 }, { name: "", port: 9090 }])).toBe("placement failed: port 8080 (http), 9090 are already in use on this host");
});

test("recentListeningPorts: read once per interval, then again", async () => {
  const first = recentListeningPorts(1_000_000, 1000);
  const port = await listen("127.0.0.1");
  expect(recentListeningPorts(1_000_500, 1000)).toBe(first); // within the interval: the same read
  expect(recentListeningPorts(1_001_000, 1000).has(port)).toBe(true); // past it: read again
});
