import { afterAll, afterEach, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { NotFoundError } from "../core/errors.ts";
import { RpcServer, type CallContext } from "./server.ts";
import { decode, encode } from "./codec.ts";
import type { Methods } from "./gen/methods.ts";

type HB = Methods["ResMan/Heartbeat"]["req"];
type Err = { code: string; message: string; leader: string; details: Record<string, string> };

const SECRET = "s3cret";
let leader = true;
let lastCtx: CallContext | null = null;
/** ctx.remote as the handler read it (it is looked up from the open request, so only while the handler runs). */
let lastRemote = "";
let server: RpcServer;
let base = "";

beforeAll(() => {
  server = new RpcServer({
    role: "resman",
    secret: () => SECRET,
    maxBodyBytes: 1024,
    authenticateUser: async (user, token) => (user === "ann" && token === "t0k" ? { kind: "user", user, admin: false } : null),
    health: () => ({ leader, epoch: 4 }),
    leaderCheck: () => ({ leader, leaderAddr: leader ? "" : "10.0.0.9:1645" }),
  });
  server.register("ResMan/Heartbeat", (req, ctx) => {
    lastCtx = ctx;
    lastRemote = ctx.remote;
    return { epoch: req.epochSeen + 1, capsChanged: true, caps: [{ containerId: "c.0", env: { A: "b" } }] };
  });
  server.register("ResMan/ShowGroup", (req) => {
    if (req.id === "boom") throw new TypeError("cannot read properties of undefined");
    if (req.id === "badreply") return { group: 5 } as never;
    throw new NotFoundError("group", req.id);
  });
  server.register("ResMan/Authenticate", (req) => ({ user: { name: req.user } }), { auth: "none", anyRole: true });
  server.register("ResMan/Status", () => ({ agentsAlive: 3 }), { auth: "internal" });
  server.register("ResMan/SyncGroups", (req) => ({ epoch: req.hints.length }), { auth: "internal", maxBodyBytes: 8192 });
  server.register("ResMan/ListUsers", (_req, ctx) => ({ users: [{ name: ctx.principal.user ?? ctx.principal.kind }] }), {
    auth: "user",
  });
  const { port } = server.listen("127.0.0.1", 0);
  base = `http://127.0.0.1:${port}`;
});

afterAll(() => server.stop());
afterEach(() => {
  leader = true;
});

const internal = { "x-galaxy-secret": SECRET };

async function post(method: string, body: BodyInit, headers: Record<string, string>): Promise<Response> {
  return fetch(`${base}/rpc/${method}`, { method: "POST", body, headers });
}

async function protoErr(res: Response): Promise<Err> {
  expect(res.headers.get("content-type")).toBe("application/x-protobuf");
  return decode<Err>("Error", await res.bytes());
}

describe("RpcServer calls", () => {
  test("protobuf in, protobuf out; the handler gets every field and its context", async () => {
    const body = encode("HeartbeatRequest", { epochSeen: 2 ** 33, agent: { endpoint: "a:1" } });
    const res = await post("ResMan/Heartbeat", body, { ...internal, "content-type": "application/x-protobuf" });
    expect(res.status).toBe(200);
    const reply = decode<Methods["ResMan/Heartbeat"]["res"]>("HeartbeatReply", await res.bytes());
    expect(reply.epoch).toBe(2 ** 33 + 1);
    expect(reply.caps[0]!.env).toEqual({ A: "b" });
    expect(lastCtx!.principal.kind).toBe("internal");
    expect(lastCtx!.method).toBe("ResMan/Heartbeat");
    expect(lastRemote).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test("JSON in, JSON out with every field", async () => {
    const res = await post("ResMan/Heartbeat", JSON.stringify({ epochSeen: 9 }), { ...internal, "content-type": "application/json" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const reply = await res.json();
    expect(reply.epoch).toBe(10);
    expect(reply.wantFull).toBe(false);
    expect(reply.caps[0].resources).toBeNull();
  });

  test("a typed error becomes its status and an Error body", async () => {
    const res = await post("ResMan/ShowGroup", encode("ShowGroupRequest", { id: "web" }), internal);
    expect(res.status).toBe(404);
    const e = await protoErr(res);
    expect(e).toEqual({ code: "NOT_FOUND", message: 'no group "web"', leader: "", details: { kind: "group", id: "web" } });
  });

  test("a handler's plain exception is a logged 500 INTERNAL, and the server keeps serving", async () => {
    const log = spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await post("ResMan/ShowGroup", JSON.stringify({ id: "boom" }), { ...internal, "content-type": "application/json" });
      expect(res.status).toBe(500);
      const e = await res.json();
      expect(e.code).toBe("INTERNAL");
      expect(e.message).toContain("cannot read properties of undefined");
      expect(String(log.mock.calls[0]![0])).toContain("TypeError"); // the stack
      const bad = await post("ResMan/ShowGroup", encode("ShowGroupRequest", { id: "badreply" }), internal);
      expect(bad.status).toBe(500);
      expect((await protoErr(bad)).message).toContain("returned an invalid reply (invalid ShowGroupReply: ShowGroupReply.group: object expected)");
      expect(String(log.mock.calls[1]![0])).toContain("caused by: InvalidError"); // a broken invariant is logged too
    } finally {
      log.mockRestore();
    }
    const ok = await post("ResMan/Heartbeat", new Uint8Array(0), internal);
    expect(ok.status).toBe(200);
  });
});

describe("RpcServer refusals", () => {
  test("garbage protobuf and garbage JSON are 400 INVALID", async () => {
    const res = await post("ResMan/Heartbeat", new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]), internal);
    expect(res.status).toBe(400);
    expect((await protoErr(res)).message).toContain("not a valid protobuf HeartbeatRequest");
    const j = await post("ResMan/Heartbeat", "{not json", { ...internal, "content-type": "application/json" });
    expect(j.status).toBe(400);
    expect((await j.json()).message).toContain("not valid JSON");
    const typed = await post("ResMan/Heartbeat", '{"epochSeen":"x"}', { ...internal, "content-type": "application/json" });
    expect(typed.status).toBe(400);
    expect((await typed.json()).details.field).toBe("epochSeen");
  });

  test("unknown method 404 naming it; wrong verb 405; unknown route 404; odd content type 400", async () => {
    const res = await post("ResMan/Nope", new Uint8Array(0), internal);
    expect(res.status).toBe(404);
    const e = await protoErr(res);
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toContain("ResMan/Nope");
    const get = await fetch(`${base}/rpc/ResMan/Heartbeat`, { headers: internal });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    const odd = await post("ResMan/Heartbeat", "x", { ...internal, "content-type": "text/plain" });
    expect(odd.status).toBe(400);
    expect((await odd.json()).message).toContain("unsupported content type");
  });

  test("bodies over maxBodyBytes are 413 TOO_LARGE, by content-length and by bytes read", async () => {
    const big = new Uint8Array(2000);
    const res = await post("ResMan/Heartbeat", big, internal);
    expect(res.status).toBe(413);
    expect((await protoErr(res)).code).toBe("TOO_LARGE");
    const chunks = [new Uint8Array(600), new Uint8Array(600)];
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const streamed = await post("ResMan/Heartbeat", stream, internal);
    expect(streamed.status).toBe(413);
    expect((await protoErr(streamed)).code).toBe("TOO_LARGE");
  });

  test("a method with its own larger limit takes a body over the server's", async () => {
    const hints = Array.from({ length: 40 }, (_, i) => ({ groupId: `group-${i}`, containers: [{ id: `group-${i}.0`, agent: "10.0.0.1:1646" }] }));
    const body = encode("SyncGroupsRequest", { amEpoch: 1, hints });
    expect(body.length).toBeGreaterThan(1024);
    const ok = await post("ResMan/SyncGroups", body, internal);
    expect(ok.status).toBe(200);
    expect(decode<{ epoch: number }>("SyncGroupsReply", await ok.bytes()).epoch).toBe(40);
    const over = await post("ResMan/SyncGroups", new Uint8Array(9000), internal);
    expect(over.status).toBe(413);
    expect((await post("ResMan/Heartbeat", body, internal)).status).toBe(413);
  });

  test("auth: internal needs the secret, user needs a good token, none needs nothing", async () => {
    const empty = new Uint8Array(0);
    const codes = async (method: string, h: Record<string, string>) => (await post(method, empty, h)).status;
    expect(await codes("ResMan/Status", {})).toBe(401);
    expect(await codes("ResMan/Status", { "x-galaxy-secret": "wrong" })).toBe(401);
    expect(await codes("ResMan/Status", { "x-galaxy-secret": "" })).toBe(401);
    expect(await codes("ResMan/Status", { "x-galaxy-user": "ann", "x-galaxy-token": "t0k" })).toBe(401);
    expect(await codes("ResMan/Status", internal)).toBe(200);
    expect(await codes("ResMan/ListUsers", internal)).toBe(401);
    expect(await codes("ResMan/ListUsers", { "x-galaxy-user": "ann", "x-galaxy-token": "bad" })).toBe(401);
    expect(await codes("ResMan/Heartbeat", { "x-galaxy-user": "ann", "x-galaxy-token": "t0k" })).toBe(200);
    expect(await codes("ResMan/Heartbeat", {})).toBe(401);
    expect(await codes("ResMan/Authenticate", {})).toBe(200);
    const res = await post("ResMan/ListUsers", empty, { "x-galaxy-user": "ann", "x-galaxy-token": "t0k" });
    const users = decode<Methods["ResMan/ListUsers"]["res"]>("ListUsersReply", await res.bytes());
    expect(users.users[0]!.name).toBe("ann");
    const refused = await protoErr(await post("ResMan/Status", empty, {}));
    expect(refused).toMatchObject({ code: "UNAUTHENTICATED", message: "missing or invalid credentials" });
  });

  test("a standby answers 421 NOT_LEADER with the leader, except anyRole methods", async () => {
    leader = false;
    const res = await post("ResMan/Heartbeat", new Uint8Array(0), internal);
    expect(res.status).toBe(421);
    const e = await protoErr(res);
    expect(e.code).toBe("NOT_LEADER");
    expect(e.leader).toBe("10.0.0.9:1645");
    expect((await post("ResMan/Authenticate", new Uint8Array(0), {})).status).toBe(200);
  });
});

describe("RpcServer /healthz and /metrics", () => {
  test("/healthz is 200 JSON with role, ok and the health fields", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ role: "resman", ok: true, leader: true, epoch: 4 });
    expect((await fetch(`${base}/healthz`, { method: "POST" })).status).toBe(405);
  });

  test("/metrics counts calls by method and code and has latency histograms and role metrics", async () => {
    server.metrics.collect("galaxy_test_agents", "Agents for the test.", () => 12);
    await post("ResMan/Status", new Uint8Array(0), internal);
    await post("ResMan/Status", new Uint8Array(0), {});
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/galaxy_rpc_requests_total\{role="resman",method="ResMan\/Status",code="OK"\} \d+/);
    expect(text).toMatch(/galaxy_rpc_requests_total\{role="resman",method="ResMan\/Status",code="UNAUTHENTICATED"\} \d+/);
    expect(text).toContain('galaxy_rpc_duration_seconds_bucket{role="resman",method="ResMan/Status",le="+Inf"}');
    expect(text).toContain("# TYPE galaxy_rpc_duration_seconds histogram");
    expect(text).toContain("galaxy_test_agents 12\n");
  });
});

describe("RpcServer registration", () => {
  test("unknown and duplicate methods are refused at register time", () => {
    const s = new RpcServer({ role: "x", secret: () => "" });
    expect(() => s.register("Nope/Nothing" as "ResMan/Status", () => ({}))).toThrow("no RPC method");
    s.register("ResMan/Status", () => ({}));
    expect(() => s.register("ResMan/Status", () => ({}))).toThrow("registered twice");
  });

  test("listening twice is refused; a taken port is UNAVAILABLE", async () => {
    const s = new RpcServer({ role: "x", secret: () => "" });
    const { port } = s.listen("127.0.0.1", 0);
    expect(() => s.listen("127.0.0.1", 0)).toThrow("already listening");
    const t = new RpcServer({ role: "y", secret: () => "" });
    expect(() => t.listen("127.0.0.1", port)).toThrow(`cannot listen on 127.0.0.1:${port}`);
    await s.stop();
    await s.stop(); // idempotent
  });
});
