// The console's routes on a real RpcServer (as AppMaster serves them), with a fake ResMan behind: the page and its
// assets, the redirect, and the API calls that go on to ResMan only as the calling user, never with the secret.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PermissionDeniedError } from "../core/errors.ts";
import { RpcServer, type Principal } from "../rpc/index.ts";
import { consoleRoutes, staticRoute } from "./server.ts";
import { chooseConsole, findConsole, opener } from "./open.ts";
import { eventFor } from "./watch.ts";

const SECRET = "s3cret";
let am: RpcServer;
let resman: RpcServer;
let base = "";
let agents = 2;
const seenByResman: { user: string; secret: boolean }[] = [];

const users: Record<string, Principal> = {
  ann: { kind: "user", user: "ann", admin: false, grants: { default: ["list"] } },
  root: { kind: "user", user: "root", admin: true, grants: {} },
};
const auth = async (user: string, token: string) => (token === `${user}-token` ? (users[user] ?? null) : null);

beforeAll(() => {
  resman = new RpcServer({ role: "resman", secret: () => SECRET, authenticateUser: auth });
  resman.register("ResMan/Status", (_req, ctx) => {
    seenByResman.push({ user: ctx.principal.user ?? "", secret: ctx.principal.kind === "internal" });
    return { agentsAlive: agents };
  });
  resman.register("ResMan/DrainAgent", (req, ctx) => {
    if (!ctx.principal.admin) throw new PermissionDeniedError(`user ${ctx.principal.user} may not admin in pool default`);
    return { agent: { info: { endpoint: req.endpoint }, state: "draining" } };
  });
  const rm = resman.listen("127.0.0.1", 0);
  am = new RpcServer({
    role: "appmaster", secret: () => SECRET, authenticateUser: auth,
    otherRoutes: consoleRoutes({ resman: () => [`127.0.0.1:${rm.port}`], appmaster: () => [base.slice(7)], authenticate: auth }),
  });
  am.register("AppMaster/ListJobs", () => ({ jobs: [] }));
  base = `http://127.0.0.1:${am.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  await am.stop();
  await resman.stop();
});

const post = async (path: string, body: unknown, user?: string, extra: Record<string, string> = {}) => {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (user) Object.assign(headers, { "x-galaxy-user": user, "x-galaxy-token": `${user}-token` });
  Object.assign(headers, extra);
  const r = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

describe("the page", () => {
  test("/ and /ui redirect to /ui/, which is the page, with a policy that allows nothing from elsewhere", async () => {
    for (const p of ["/", "/ui"]) {
      const r = await fetch(`${base}${p}`, { redirect: "manual" });
      expect([r.status, r.headers.get("location")]).toEqual([302, "/ui/"]);
    }
    const page = await fetch(`${base}/ui/`);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/ui/app.js">');
    expect(html).not.toMatch(/https?:\/\//); // no CDN
  });

  test("the bundle and the stylesheet are served from the executable", async () => {
    const js = await fetch(`${base}/ui/app.js`);
    expect(js.headers.get("content-type")).toStartWith("text/javascript");
    expect((await js.text()).length).toBeGreaterThan(10_000);
    expect((await fetch(`${base}/ui/style.css`)).headers.get("content-type")).toStartWith("text/css");
    expect((await fetch(`${base}/ui/nope.js`)).status).toBe(404);
  });

  test("RPCs and health are still the RPC server's", async () => {
    expect((await post("/rpc/AppMaster/ListJobs", {}, "ann")).body).toEqual({ jobs: [] });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/rpc/AppMaster/Nope`, { method: "POST" })).status).toBe(404);
  });

  test("routes", () => {
    expect(staticRoute("/")).toEqual({ redirect: "/ui/" });
    expect(staticRoute("/ui/app.js")).toEqual({ asset: "app.js" });
    expect(staticRoute("/ui/api/whoami")).toBeNull();
    expect(staticRoute("/metrics")).toBeNull();
  });
});

describe("the API goes on as the caller", () => {
  test("without a user and token: 401, and nothing reaches ResMan", async () => {
    seenByResman.length = 0;
    const r = await post("/ui/api/resman/Status", {}, undefined, { "x-galaxy-secret": SECRET });
    expect([r.status, r.body.message]).toEqual([401, "missing or invalid credentials"]);
    expect(seenByResman).toEqual([]);
  });

  test("ResMan sees the user, never the cluster secret, even when the browser sends it", async () => {
    seenByResman.length = 0;
    const r = await post("/ui/api/resman/Status", {}, "ann", { "x-galaxy-secret": SECRET });
    expect([r.status, r.body.agentsAlive]).toEqual([200, 2]);
    expect(seenByResman).toEqual([{ user: "ann", secret: false }]);
  });

  test("a wrong token is refused by ResMan", async () => {
    const r = await fetch(`${base}/ui/api/resman/Status`, { method: "POST", headers: { "x-galaxy-user": "ann", "x-galaxy-token": "nope" }, body: "{}" });
    expect(r.status).toBe(401);
  });

  test("only the listed ResMan methods", async () => {
    const r = await post("/ui/api/resman/AddUser", { name: "eve", admin: true }, "root");
    expect([r.status, r.body.message]).toEqual([404, 'no console method "resman/AddUser"']);
  });

  test("a refusal comes back with ResMan's own sentence; an admin may drain", async () => {
    const refused = await post("/ui/api/resman/DrainAgent", { endpoint: "a:1" }, "ann");
    expect([refused.status, refused.body.message]).toEqual([403, "user ann may not admin in pool default"]);
    const ok = await post("/ui/api/resman/DrainAgent", { endpoint: "a:1" }, "root");
    expect((ok.body.agent as { state: string }).state).toBe("draining");
  });

  test("whoami: the caller's grants, which decide the buttons", async () => {
    expect((await post("/ui/api/whoami", {}, "ann")).body).toEqual({ user: "ann", admin: false, grants: { default: ["list"] } });
    expect((await post("/ui/api/whoami", {}, "ann", { "x-galaxy-token": "bad" })).status).toBe(401);
  });
});

describe("live: /ui/api/watch streams the replies when they change", () => {
  async function* events(r: Response) {
    const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += value;
      let at: number;
      while ((at = buf.indexOf("\n\n")) >= 0) {
        yield buf.slice(0, at);
        buf = buf.slice(at + 2);
      }
    }
  }
  const watch = (calls: unknown, user = "ann", abort?: AbortSignal) => fetch(`${base}/ui/api/watch`, {
    method: "POST", signal: abort, body: JSON.stringify({ calls }),
    headers: { "content-type": "application/json", "x-galaxy-user": user, "x-galaxy-token": `${user}-token` },
  });

  test("the first replies at once, then a change; AppMaster and ResMan asked as the caller", async () => {
    agents = 2;
    seenByResman.length = 0;
    const abort = new AbortController();
    const r = await watch([{ to: "appmaster", method: "ListJobs", body: { all: true } }, { to: "resman", method: "Status" }], "ann", abort.signal);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const it = events(r);
    const replies = async () => {
      const ev = (await it.next()).value as string;
      expect(ev).toStartWith("data: ");
      const [jobs, status] = (JSON.parse(ev.slice(6)) as { replies: [unknown, { agentsAlive: number }] }).replies;
      return [jobs, status.agentsAlive];
    };
    expect(await replies()).toEqual([{ jobs: [] }, 2]);
    agents = 3;
    expect(await replies()).toEqual([{ jobs: [] }, 3]);
    abort.abort();
    expect(seenByResman.every((x) => x.user === "ann" && !x.secret)).toBe(true);
  });

  test("an event only when the answers changed", () => {
    const last = { text: "" };
    expect(eventFor({ replies: [1] }, last)).toBe('data: {"replies":[1]}\n\n');
    expect(eventFor({ replies: [1] }, last)).toBeNull();
    expect(eventFor({ code: "X", message: "no" }, last)).toBe('event: failed\ndata: {"code":"X","message":"no"}\n\n');
    expect(eventFor({ code: "X", message: "no" }, last)).toBeNull();
    expect(eventFor({ replies: [1] }, last)).not.toBeNull();
  });

  test("a refusal is an event with the server's sentence", async () => {
    const abort = new AbortController();
    const r = await watch([{ to: "resman", method: "Status" }], "nobody", abort.signal);
    expect((await events(r).next()).value).toBe('event: failed\ndata: {"code":"UNAUTHENTICATED","message":"missing or invalid credentials"}');
    abort.abort();
  });

  test("only read-only methods, at most 4", async () => {
    const bad = await watch([{ to: "resman", method: "DrainAgent", body: { endpoint: "a:1" } }]);
    expect([bad.status, ((await bad.json()) as { message: string }).message]).toEqual([404, 'no watchable method "resman/DrainAgent"']);
    const many = await watch(Array.from({ length: 5 }, () => ({ to: "resman", method: "Status" })));
    expect([many.status, ((await many.json()) as { message: string }).message]).toEqual([400, "give 1 to 4 calls to watch"]);
  });
});

describe("galaxy ui", () => {
  test("the leader's console, else the first AppMaster that answers", () => {
    expect(chooseConsole([{ addr: "a:1", leader: false, error: "" }, { addr: "b:1", leader: true, error: "" }])).toBe("b:1");
    expect(chooseConsole([{ addr: "a:1", leader: null, error: "x" }, { addr: "b:1", leader: false, error: "" }])).toBe("b:1");
    expect(chooseConsole([{ addr: "a:1", leader: null, error: "x" }])).toBeNull();
  });
  test("asks the addresses' health: an AppMaster's console, or one sentence when none answers", async () => {
    expect(await findConsole(["127.0.0.1:1", base.slice(7)])).toBe(`${base}/ui/`);
    await expect(findConsole(["127.0.0.1:1"])).rejects.toThrow(/^no AppMaster answers \(127\.0\.0\.1:1: .*\): is the cluster up\?$/);
  });

  test("a browser only with a display", () => {
    expect(opener({}, () => true)).toBeNull();
    expect(opener({ DISPLAY: ":0" }, (c) => c === "xdg-open")).toBe("xdg-open");
    expect(opener({ WAYLAND_DISPLAY: "w" }, () => false)).toBeNull();
  });
});
