import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GalaxyError, NotFoundError, NotLeaderError, UnavailableError } from "../core/errors.ts";
import { RpcServer, type RpcServerOptions } from "./server.ts";
import { RpcClient, type RpcClientOptions } from "./client.ts";
import type { Methods } from "./gen/methods.ts";

const SECRET = "cluster-secret";
const servers: RpcServer[] = [];
const cleanups: (() => void)[] = [];

/** A ResMan-like server on 127.0.0.1 with a port of its own; returns "host:port". */
function start(opts: Partial<RpcServerOptions> = {}, setup?: (s: RpcServer) => void): string {
  const s = new RpcServer({
    role: "resman",
    secret: () => SECRET,
    authenticateUser: async (user, token) => (token === `${user}-token` ? { kind: "user", user, admin: user === "root" } : null),
    ...opts,
  });
  s.register("ResMan/Heartbeat", (req) => ({
    epoch: req.epochSeen,
    capsVersion: req.capsVersion + 1,
    capsChanged: req.full,
    caps: req.containers.map((c) => ({ ...c.cap, containerId: c.containerId })),
    intervalMs: 1000,
  }));
  s.register("ResMan/ShowGroup", (req) => {
    throw new NotFoundError("group", req.id);
  });
  s.register("ResMan/ListUsers", (_req, ctx) => ({ users: [{ name: ctx.principal.user ?? ctx.principal.kind, admin: ctx.principal.admin ?? false }] }));
  setup?.(s);
  servers.push(s);
  return `127.0.0.1:${s.listen("127.0.0.1", 0).port}`;
}

/** An address where nothing listens (a port just released). */
function deadAddress(): string {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const port = s.port;
  s.stop(true);
  return `127.0.0.1:${port}`;
}

function client(addresses: RpcClientOptions["addresses"], more: Partial<RpcClientOptions> = {}): RpcClient {
  return new RpcClient({ addresses, credentials: { secret: SECRET }, timeoutMs: 5000, ...more });
}

async function failure(p: Promise<unknown>): Promise<GalaxyError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GalaxyError);
    return e as GalaxyError;
  }
  throw new Error("expected the call to fail");
}

let main = "";
beforeAll(() => {
  main = start();
});
afterAll(async () => {
  for (const c of cleanups) c();
  await Promise.all(servers.map((s) => s.stop()));
});

const heartbeat: Parameters<RpcClient["call"]>[1] & object = {
  agent: { endpoint: "10.1.2.3:1646", labels: ["ssd"], total: { millicores: 4000, memory: 3 * 2 ** 32 } },
  epochSeen: 2 ** 45 + 1,
  capsVersion: 41,
  full: true,
  containers: [
    { containerId: "web.0", cap: { groupId: "web", env: { JOB: "web" }, resources: { memory: 2 ** 34 }, ports: [{ name: "http", port: 8080 }] } },
    { containerId: "web.1", cap: { groupId: "web", env: {} } },
  ],
};

describe.each([false, true])("RpcClient round trip (json=%p)", (json) => {
  test("nested, repeated, map and uint64 fields survive both ways", async () => {
    const reply = await client([main], { json }).call("ResMan/Heartbeat", heartbeat);
    expect(reply.epoch).toBe(2 ** 45 + 1);
    expect(reply.capsVersion).toBe(42);
    expect(reply.capsChanged).toBe(true);
    expect(reply.wantFull).toBe(false);
    expect(reply.caps.map((c) => c.containerId)).toEqual(["web.0", "web.1"]);
    expect(reply.caps[0]!.env).toEqual({ JOB: "web" });
    expect(reply.caps[0]!.resources.memory).toBe(2 ** 34);
    expect(reply.caps[0]!.ports).toEqual([{ name: "http", port: 8080 }]);
    expect(reply.caps[1]!.env).toEqual({});
    expect(reply.caps[1]!.resources).toEqual({ millicores: 0, memory: 0, disk: 0, ssd: 0 }); // absent: default
  });

  test("a typed error comes back with its code and message", async () => {
    const e = await failure(client([main], { json }).call("ResMan/ShowGroup", { id: "web" }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toBe('no group "web"');
    expect(e.details).toMatchObject({ kind: "group", id: "web" });
  });
});

describe("RpcClient auth", () => {
  test("refused without a secret, with a wrong secret, with a bad user token", async () => {
    for (const credentials of [{}, { secret: "wrong" }, { user: "ann", token: "nope" }]) {
      const e = await failure(client([main], { credentials }).call("ResMan/ListUsers", {}));
      expect(e.code).toBe("UNAUTHENTICATED");
      expect(e.message).toBe("missing or invalid credentials");
    }
  });

  test("accepted with the secret or a good user token; credentials may be a function", async () => {
    const asInternal = await client([main]).call("ResMan/ListUsers", {});
    expect(asInternal.users[0]!.name).toBe("internal");
    let user = "ann";
    const c = client([main], { credentials: () => ({ user, token: `${user}-token` }) });
    expect((await c.call("ResMan/ListUsers", {})).users[0]).toEqual({ name: "ann", admin: false, createdAt: 0 });
    user = "root";
    expect((await c.call("ResMan/ListUsers", {})).users[0]!.admin).toBe(true);
  });
});

describe("RpcClient limits and failover", () => {
  test("an over-size request is TOO_LARGE", async () => {
    const small = start({ maxBodyBytes: 256 });
    const e = await failure(client([small]).call("ResMan/Heartbeat", { agent: { hostname: "x".repeat(1000) } }));
    expect(e.code).toBe("TOO_LARGE");
  });

  test("NOT_LEADER is followed to the leader silently", async () => {
    const leader = start();
    const standby = start({ leaderCheck: () => ({ leader: false, leaderAddr: leader }) });
    const reply = await client([standby]).call("ResMan/Heartbeat", { epochSeen: 7 });
    expect(reply.epoch).toBe(7);
  });

  test("NOT_LEADER without a leader moves on to the next address; the address list is re-read per call", async () => {
    const standby = start({ leaderCheck: () => ({ leader: false, leaderAddr: "" }) });
    let list = [standby, main];
    const c = client(() => list);
    expect((await c.call("ResMan/Heartbeat", { epochSeen: 3 })).epoch).toBe(3);
    list = [standby];
    const e = await failure(c.call("ResMan/Heartbeat", {}));
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.message).toBe(`no ResMan at ${standby} (not the leader)`);
  });

  test("redirects stop after maxRedirects", async () => {
    let other = "";
    const a = start({ leaderCheck: () => ({ leader: false, leaderAddr: other }) });
    const b = start({ leaderCheck: () => ({ leader: false, leaderAddr: a }) });
    other = b;
    const e = await failure(client([a], { maxRedirects: 2 }).call("ResMan/Heartbeat", {}));
    expect(e).toBeInstanceOf(NotLeaderError);
    expect(e.code).toBe("NOT_LEADER");
  });

  test("a dead address is skipped for the next one", async () => {
    const reply = await client([deadAddress(), main]).call("ResMan/Heartbeat", { epochSeen: 5 });
    expect(reply.epoch).toBe(5);
  });

  test("all addresses down: UnavailableError naming each and the reason", async () => {
    const a = deadAddress();
    const b = deadAddress();
    const e = await failure(client([a, b]).call("ResMan/Heartbeat", {}));
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.code).toBe("UNAVAILABLE");
    expect(e.message).toBe(`no ResMan at ${a} (connection refused), ${b} (connection refused)`);
    expect((await failure(client([]).call("ResMan/Heartbeat", {}))).message).toBe("no ResMan address is known");
  });

  test("a timeout counts as a failed address", async () => {
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    cleanups.push(release);
    const slow = start({}, (s) =>
      s.register("ResMan/Status", async () => {
        await held;
        return {};
      }),
    );
    const e = await failure(client([slow], { timeoutMs: 50 }).call("ResMan/Status", {}));
    expect(e.message).toBe(`no ResMan at ${slow} (timed out after 50 ms)`);
    release();
  });

  test("an HTTP server that is not Galaxy is skipped", async () => {
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("nope", { status: 404 }) });
    cleanups.push(() => other.stop(true));
    const reply = await client([`127.0.0.1:${other.port}`, main]).call("ResMan/Heartbeat", { epochSeen: 1 });
    expect(reply.epoch).toBe(1);
    const e = await failure(client([`127.0.0.1:${other.port}`]).call("ResMan/Heartbeat", {}));
    expect(e.message).toContain("HTTP 404 without a Galaxy error body");
  });

  test("a request the schema cannot take is INVALID before anything is sent", async () => {
    const e = await failure(client([deadAddress()]).call("ResMan/Heartbeat", { agent: 5 } as never));
    expect(e.code).toBe("INVALID");
  });
});

// Type-level check: a reply is the plain type with every field.
const _typed: (r: Methods["ResMan/Heartbeat"]["res"]) => number = (r) => r.caps.length + r.epoch;
void _typed;
