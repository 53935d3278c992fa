// Before a container starts, every port of its cap must be free on this host: a port another program listens on
// would only make its task crash and restart forever. A conflict is a placement failure, said once, clearly.
// "Taken" means a socket LISTENs on it (any address, TCP over IPv4 or IPv6), read from /proc/net/tcp{,6}: a port
// held only by a closing connection (TIME_WAIT, a client's ephemeral port) frees itself and is not a conflict.
import { readFileSync } from "node:fs";
import type { PortBinding } from "../rpc/types.ts";

const TCP_LISTEN = "0A";

/** Local ports of the LISTEN sockets in a /proc/net/tcp or /proc/net/tcp6 table. */
export function parseListeningPorts(table: string): number[] {
  const out: number[] = [];
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== TCP_LISTEN) continue;
    const port = parseInt(f[1]!.split(":")[1] ?? "", 16);
    if (Number.isInteger(port)) out.push(port);
  }
  return out;
}

/** Every TCP port something listens on in this network namespace. */
export function listeningPorts(): Set<number> {
  const out = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      for (const p of parseListeningPorts(readFileSync(file, "utf8"))) out.add(p);
    } catch {
      /* no IPv6 */
    }
  }
  return out;
}

let cache: { at: number; ports: Set<number> } | null = null;

/** listeningPorts(), read at most once per `maxAgeMs` (a host with thousands of sockets makes each read cost; 500
 * containers starting at once each read it on the agent's event loop). */
export function recentListeningPorts(now = Date.now(), maxAgeMs = 1000): Set<number> {
  if (!cache || now - cache.at >= maxAgeMs || now < cache.at) cache = { at: now, ports: listeningPorts() };
  return cache.ports;
}

/** The ports of a cap that something already listens on (port 0 is never checked). */
export function takenPorts(ports: readonly PortBinding[], listening: ReadonlySet<number> = listeningPorts()): PortBinding[] {
  return ports.filter((p) => p.port > 0 && listening.has(p.port));
}

export function portConflictMessage(taken: readonly PortBinding[]): string {
  const list = taken.map((p) => `${p.port}${p.name ? ` (${p.name})` : ""}`).join(", ");
  return `placement failed: port ${list} ${taken.length > 1 ? "are" : "is"} already in use on this host`;
}
