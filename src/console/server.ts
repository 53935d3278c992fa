// The web console's HTTP side, served by AppMaster next to its RPCs (RpcServer `otherRoutes`). Thin on purpose: the
// page calls AppMaster's own RPCs (POST /rpc/AppMaster/*, JSON, the CLI's x-galaxy-user / x-galaxy-token headers),
// and these routes only add what a browser cannot reach itself, always with the caller's own user and token (never
// the cluster secret), so every grant is checked by the role that owns it, exactly as for the CLI:
//
//   GET  /                 302 /ui/
//   GET  /ui, /ui/         the page (index.html; hash routes #/jobs, #/job/ID, …); /ui/app.js, /ui/style.css
//   POST /ui/api/whoami    {user, admin, grants}: ResMan/Authenticate of the caller (which buttons to show)
//   POST /ui/api/resman/M  ResMan/M for the methods in RESMAN_METHODS, forwarded to the ResMan leader as the caller
//   POST /ui/api/logs      {pod, task, stderr, offset, tail} -> {text, offset, ended, agent, tasks}: `galaxy logs`
//                          (locatePod, then Agent/ReadLogs on the pod's agent, as the caller)
//   POST /ui/api/watch     {calls: [{to, method, body}]} -> server-sent events: the replies whenever they change
//                          (watch.ts; read-only AppMaster and ResMan methods, made as the caller every second)
import { GalaxyError, UnauthenticatedError, InvalidError, NotFoundError } from "../core/errors.ts";
import { RpcClient, TOKEN_HEADER, USER_HEADER, type MethodName, type Principal } from "../rpc/index.ts";
import { errorReply, jsonReply, readBody } from "../rpc/http.ts";
import { toGalaxyError } from "../rpc/errors.ts";
import { locatePod } from "../agent/logs-locate.ts";
import { ASSETS, INDEX_HTML } from "./assets.ts";
import { parseWatch, Watches } from "./watch.ts";

/** What the console may ask ResMan for: read-only views, and the agent state changes ResMan allows admins only. */
export const RESMAN_METHODS: ReadonlySet<string> = new Set([
  "Status", "ListAgents", "ShowAgent", "ListPools", "ListLabels", "ListGrants", "DrainAgent", "OfflineAgent", "OnlineAgent",
]);

export interface ConsoleDeps {
  /** ResMan addresses, leader first. */
  resman: () => string[];
  /** AppMaster addresses, leader first (the logs route asks AppMaster where a pod runs, as the caller). */
  appmaster: () => string[];
  authenticate: (user: string, token: string) => Promise<Principal | null>;
}

const MAX_API_BODY = 64 * 1024;
const HTML_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  // everything the page needs comes from here: no CDN, no inline script
  "content-security-policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  "cache-control": "no-store",
};

interface Caller { user: string; token: string }

function callerOf(req: Request): Caller {
  const user = req.headers.get(USER_HEADER) ?? "";
  const token = req.headers.get(TOKEN_HEADER) ?? "";
  if (!user || !token) throw new UnauthenticatedError();
  return { user, token };
}

const client = (addresses: () => string[], c: Caller) => new RpcClient({ addresses, credentials: { user: c.user, token: c.token }, timeoutMs: 10_000 });

async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, MAX_API_BODY);
  if (bytes.byteLength === 0) return {};
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new InvalidError("the request body is not a JSON object");
}

/** Pure: which route a GET path names; null when none of the console's. */
export function staticRoute(path: string): { redirect: string } | { asset: string } | { page: true } | null {
  if (path === "/" || path === "/ui") return { redirect: "/ui/" };
  if (path === "/ui/" || path === "/ui/index.html") return { page: true };
  const name = path.startsWith("/ui/") ? path.slice(4) : "";
  return name in ASSETS ? { asset: name } : null;
}

export function consoleRoutes(d: ConsoleDeps): (req: Request, path: string) => Promise<Response | null> {
  const api: Record<string, (req: Request, c: Caller) => Promise<unknown>> = {
    whoami: async (_req, c) => {
      const p = await d.authenticate(c.user, c.token);
      if (!p) throw new UnauthenticatedError();
      return { user: p.user, admin: p.admin === true, grants: p.grants ?? {} };
    },
    logs: async (req, c) => readLogs(d, c, await jsonBody(req)),
  };
  const watches = new Watches();
  return async (req, path) => {
    if (req.method === "GET" || req.method === "HEAD") {
      const r = staticRoute(path);
      if (!r) return null;
      if ("redirect" in r) return new Response(null, { status: 302, headers: { location: r.redirect } });
      if ("page" in r) return new Response(INDEX_HTML, { headers: HTML_HEADERS });
      const a = ASSETS[r.asset]!;
      return new Response(a.body, { headers: { "content-type": a.type, "cache-control": "no-cache" } });
    }
    if (req.method !== "POST" || !path.startsWith("/ui/api/")) return null;
    try {
      const c = callerOf(req);
      const name = path.slice("/ui/api/".length);
      if (name.startsWith("resman/")) {
        const m = name.slice("resman/".length);
        if (!RESMAN_METHODS.has(m)) throw new NotFoundError("console method", `resman/${m}`);
        const reply = await client(d.resman, c).call(`ResMan/${m}` as MethodName, (await jsonBody(req)) as never);
        return jsonReply(200, JSON.stringify(reply));
      }
      if (name === "watch") {
        const calls = parseWatch(await jsonBody(req));
        return watches.stream(calls, { appmaster: client(d.appmaster, c), resman: client(d.resman, c) });
      }
      const h = api[name];
      if (!h) throw new NotFoundError("console method", name);
      return jsonReply(200, JSON.stringify(await h(req, c)));
    } catch (e) {
      return errorReply(e instanceof GalaxyError ? e : toGalaxyError(e, "console"), true);
    }
  };
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);

/** One read of a pod's log from where `offset` left it (offset 0 with tail: its last lines), as `galaxy logs` reads. */
async function readLogs(d: ConsoleDeps, c: Caller, body: Record<string, unknown>) {
  const pod = typeof body.pod === "string" ? body.pod : "";
  const where = await locatePod({ am: client(d.appmaster, c), rm: () => client(d.resman, c), agent: (ep) => client(() => [ep], c) }, pod);
  const task = typeof body.task === "string" && body.task ? body.task : where.firstTask;
  const offset = num(body.offset);
  const r = await client(() => [where.agent], c).call("Agent/ReadLogs", {
    containerId: where.containerId, task, stderr: body.stderr === true, offset, tail: offset === 0 ? num(body.tail) : 0, maxBytes: 256 * 1024,
  });
  return { text: new TextDecoder().decode(r.data), offset: r.exists ? r.offset : offset, exists: r.exists, ended: where.ended ?? "", agent: where.agent, task };
}
