import { afterAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { GalaxyError, NotFoundError, UnavailableError } from "../core/errors.ts";
import { RpcClient } from "../rpc/client.ts";
import { KeepAliveConn } from "./keepalive.ts";
import { RpcServer, type RpcServerOptions } from "../rpc/server.ts";

const SECRET = "cluster-secret";
const servers: RpcServer[] = [];
const listeners: TCPSocketListener<unknown>[] = [];

function start(opts: Partial<RpcServerOptions> = {}): string {
  const s = new RpcServer({ role: "resman", secret: () => SECRET, authenticateUser: async () => null, ...opts });
  s.register("ResMan/Heartbeat", (req) => ({ epoch: req.epochSeen, capsVersion: req.capsVersion + 1, intervalMs: 1000 }));
  s.register("ResMan/ShowGroup", (req) => {
    throw new NotFoundError("group", req.id);
  });
  s.register("ResMan/WatchCaps", async (req) => {
    await Bun.sleep(req.waitMs);
    return { epoch: 1 };
  });
  servers.push(s);
  return `127.0.0.1:${s.listen("127.0.0.1", 0).port}`;
}

/** A raw HTTP server: `answer` writes whatever it likes for each request (after its head and body arrived). */
function raw(answer: (s: Socket<{ buf: string }>, n: number) => void): { addr: string; accepted: () => number } {
  let accepted = 0;
  let n = 0;
  const l = Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1", port: 0,
    socket: {
      open(s) {
        accepted++;
        s.data = { buf: "" };
      },
      data(s, chunk) {
        s.data.buf += chunk.toString("latin1");
        const end = s.data.buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(s.data.buf.slice(0, end))?.[1] ?? 0);
        if (s.data.buf.length < end + 4 + len) return;
        s.data.buf = s.data.buf.slice(end + 4 + len);
        answer(s, n++);
      },
    },
  });
  listeners.push(l as TCPSocketListener<unknown>);
  return { addr: `127.0.0.1:${l.port}`, accepted: () => accepted };
}

const client = (addr: string) => new RpcClient({ addresses: [addr], credentials: { secret: SECRET }, timeoutMs: 5000 });

afterAll(async () => {
  for (const l of listeners) l.stop(true);
  await Promise.all(servers.map((s) => s.stop()));
});

describe("KeepAliveConn as RpcClient's transport", () => {
  test("many calls, one connection; replies and typed errors as through fetch", async () => {
    const addr = start();
    const conn = new KeepAliveConn();
    const c = client(addr);
    for (let i = 0; i < 50; i++) {
      const r = await c.call("ResMan/Heartbeat", { epochSeen: i, capsVersion: i }, { transport: conn.transport });
      expect([r.epoch, r.capsVersion]).toEqual([i, i + 1]);
    }
    const e = await c.call("ResMan/ShowGroup", { id: "web" }, { transport: conn.transport }).catch((x: GalaxyError) => x);
    expect(e).toBeInstanceOf(GalaxyError);
    expect((e as GalaxyError).code).toBe("NOT_FOUND");
    expect(conn.connects).toBe(1);
    conn.close();
  });

  test("a NOT_LEADER answer is followed to the leader on a connection to it", async () => {
    const leader = start();
    const standby = start({ leaderCheck: () => ({ leader: false, leaderAddr: leader }) });
    const conn = new KeepAliveConn();
    const r = await client(standby).call("ResMan/Heartbeat", { epochSeen: 9 }, { transport: conn.transport });
    expect(r.epoch).toBe(9);
    expect(conn.connects).toBe(2);
    conn.close();
  });

  test("a connection the server closed while idle is replaced once, transparently", async () => {
    const reply = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok";
    const srv = raw((s) => {
      s.write(reply);
      setTimeout(() => s.end(), 5); // closes each connection soon after its reply, without saying so
    });
    const conn = new KeepAliveConn();
    for (let i = 0; i < 3; i++) {
      const r = await conn.request(srv.addr, "/x", "hi", {}, 2000);
      expect(new TextDecoder().decode(r.bytes)).toBe("ok");
      await Bun.sleep(30);
    }
    expect(srv.accepted()).toBe(3);
    conn.close();
  });

  test("a reused connection closed before any reply byte is retried once on a fresh one; a fresh one that does so fails", async () => {
    const ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
    let opened = 0;
    const ids = new WeakMap<object, number>();
    const srv = raw((s) => {
      let id = ids.get(s);
      const first = id === undefined;
      if (id === undefined) ids.set(s, (id = ++opened));
      // connections 1 and 2 answer their first request; a second request on a connection (the server's idle close
      // racing it) and connection 3's first are closed unanswered
      if (first && id <= 2) s.write(ok);
      else s.end();
    });
    const conn = new KeepAliveConn();
    expect((await conn.request(srv.addr, "/x", "a", {}, 2000)).status).toBe(200);
    expect((await conn.request(srv.addr, "/x", "b", {}, 2000)).status).toBe(200); // retried on connection 2
    expect(srv.accepted()).toBe(2);
    const e = await conn.request(srv.addr, "/x", "c", {}, 2000).catch((x: Error) => x); // reused: retried, fresh one closes too
    expect(e).toBeInstanceOf(Error);
    expect((e as Error & { code?: string }).code).toBe("ECONNRESET");
    expect(srv.accepted()).toBe(3);
    conn.close();
  });

  test("chunked replies and replies split across packets are read whole", async () => {
    const srv = raw((s, n) => {
      if (n === 0) {
        s.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
        setTimeout(() => s.write("6\r\n world\r\n0\r\n\r\n"), 10);
      } else {
        s.write("HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nno");
        setTimeout(() => s.write("pe"), 10);
      }
    });
    const conn = new KeepAliveConn();
    const a = await conn.request(srv.addr, "/x", new Uint8Array([1, 2]), {}, 2000);
    expect([a.status, new TextDecoder().decode(a.bytes)]).toEqual([200, "hello world"]);
    const b = await conn.request(srv.addr, "/x", "", {}, 2000);
    expect([b.status, new TextDecoder().decode(b.bytes)]).toEqual([404, "nope"]);
    expect(srv.accepted()).toBe(1);
    conn.close();
  });

  test("a timeout, a refused connection and a cancelled call fail as fetch's do; the connection is usable after", async () => {
    const addr = start();
    const c = client(addr);
    const conn = new KeepAliveConn();
    const slow = await c.call("ResMan/WatchCaps", { waitMs: 2000 }, { transport: conn.transport, timeoutMs: 50 }).catch((e: Error) => e);
    expect(slow).toBeInstanceOf(UnavailableError);
    expect((slow as Error).message).toBe(`no ResMan at ${addr} (timed out after 50 ms)`);
    const cancel = new AbortController();
    const watched = c.call("ResMan/WatchCaps", { waitMs: 2000 }, { transport: conn.transport, signal: cancel.signal }).catch((e: Error) => e);
    setTimeout(() => cancel.abort(), 20);
    expect(await watched).toBeInstanceOf(UnavailableError);
    expect((await c.call("ResMan/Heartbeat", { epochSeen: 4 }, { transport: conn.transport })).epoch).toBe(4);
    const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const deadAddr = `127.0.0.1:${dead.port}`;
    dead.stop(true);
    const refused = await client(deadAddr).call("ResMan/Heartbeat", {}, { transport: conn.transport }).catch((e: Error) => e);
    expect((refused as Error).message).toBe(`no ResMan at ${deadAddr} (connection refused)`);
    conn.close();
  });

  test("one request at a time: a second concurrent one is refused, the first unharmed", async () => {
    const addr = start();
    const conn = new KeepAliveConn();
    const body = client(addr).encodeRequest("ResMan/Heartbeat", { epochSeen: 2 });
    const first = conn.request(addr, "/rpc/ResMan/Heartbeat", body, { "content-type": "application/x-protobuf", "x-galaxy-secret": SECRET }, 2000);
    expect(conn.request(addr, "/rpc/ResMan/Heartbeat", body, {}, 2000)).rejects.toThrow("one request at a time");
    expect((await first).status).toBe(200);
    conn.close();
  });
});
