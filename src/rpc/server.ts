// The RPC server on Bun.serve: POST /rpc/<Service>/<Method> (protobuf or JSON), GET /healthz, GET /metrics.
//
//   request ─► route (one Map lookup) ─► POST? ─► leader? ─► auth ─► body ≤ max ─► decode ─► handler ─► encode
//                 │ unknown: 404            405      421        401        413        400        │ throws: funnel
//                 └──────────────────────────── every error ─► errors.ts: code -> status + Error body ◄─┘
import type { Server } from "bun";
import { GalaxyError, NotLeaderError, InternalError, InvalidError, UnavailableError } from "../core/errors.ts";
import { METHODS, type MethodName, type Methods } from "./gen/methods.ts";
import {
  decodeJsonWith, decodeWith, encodeJsonWith, encodeWith, messageType, type DeepPartial, type MessageType,
} from "./codec.ts";
import { toGalaxyError } from "./errors.ts";
import { authenticate, type AuthMode, type Principal } from "./auth.ts";
import { errorReply, formatOf, jsonReply, pathOf, protobufReply, readBody } from "./http.ts";
import {
  MetricsRegistry, type Counter, type CounterChild, type GaugeChild, type Histogram, type HistogramChild,
} from "./metrics.ts";
import { lagHistogram, sampleLag } from "./loop-lag.ts";

export type { AuthMode, Principal } from "./auth.ts";

export interface CallContext {
  principal: Principal;
  method: MethodName;
  /** "address:port" of the caller (looked up when read: 5% of a heartbeat's cost when it was read for every call). */
  readonly remote: string;
}

export type Handler<M extends MethodName> = (
  req: Methods[M]["req"],
  ctx: CallContext,
) => Promise<DeepPartial<Methods[M]["res"]>> | DeepPartial<Methods[M]["res"]>;

export interface RpcServerOptions {
  /** The cluster secret; internal calls carry it in header x-galaxy-secret. */
  secret: () => string;
  /** Client calls carry x-galaxy-user / x-galaxy-token; null refuses them. */
  authenticateUser?: (user: string, token: string) => Promise<Principal | null>;
  /** Default 8 MiB; a larger declared or actual body is refused with 413 TOO_LARGE. */
  maxBodyBytes?: number;
  /** For /healthz and the metrics' role label. */
  role: string;
  /** Extra fields for GET /healthz. */
  health?: () => Record<string, unknown>;
  /** When set and not leader, every call except those registered {anyRole: true} answers NOT_LEADER. */
  leaderCheck?: () => { leader: boolean; leaderAddr: string };
  /** Paths other than /rpc/, /healthz and /metrics (the web console): a Response, or null for 404. */
  otherRoutes?: (req: Request, path: string) => Response | null | Promise<Response | null>;
}

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Everything a call needs, resolved once at register time. */
interface Route {
  method: MethodName;
  reqName: string;
  resName: string;
  reqType: MessageType;
  resType: MessageType;
  handler: (req: unknown, ctx: CallContext) => unknown;
  auth: AuthMode;
  anyRole: boolean;
  maxBody: number;
  ok: CounterChild;
  latency: HistogramChild;
  byCode: Map<string, CounterChild>;
}

/** A call's context; `remote` is read from the connection on first use (valid while the handler runs). */
class Context implements CallContext {
  private remoteAddr: string | undefined;

  constructor(
    readonly principal: Principal,
    readonly method: MethodName,
    private readonly server: Server<unknown>,
    private readonly req: Request,
  ) {}

  get remote(): string {
    if (this.remoteAddr === undefined) {
      const a = this.server.requestIP(this.req);
      this.remoteAddr = a ? `${a.address}:${a.port}` : "";
    }
    return this.remoteAddr;
  }
}

export class RpcServer {
  readonly metrics = new MetricsRegistry();
  private readonly routes = new Map<string, Route>();
  private readonly maxBody: number;
  private readonly requests: Counter;
  private readonly latency: Histogram;
  private readonly inFlight: GaugeChild;
  private server: Server<unknown> | null = null;
  /** The event loop's delay (loop-lag.ts), sampled while listening. */
  private readonly lag: HistogramChild;
  private stopLagWatch: (() => void) | null = null;

  constructor(private readonly opts: RpcServerOptions) {
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.requests = this.metrics.counter("galaxy_rpc_requests_total", "RPC calls answered, by method and code.", [
      "role", "method", "code",
    ]);
    this.latency = this.metrics.histogram("galaxy_rpc_duration_seconds", "Time to answer an RPC call.", ["role", "method"]);
    this.inFlight = this.metrics.gauge("galaxy_rpc_in_flight", "RPC calls being answered.", ["role"]).labels(opts.role);
    this.lag = lagHistogram(this.metrics, opts.role);
  }

  /**
   * maxBodyBytes: this method's own limit, above the server's (AppMaster's full request set after a failover carries
   * where every container runs: ~70 B each). Register before listen(): Bun's limit is set from the largest.
   */
  register<M extends MethodName>(method: M, handler: Handler<M>, opts: { auth?: AuthMode; anyRole?: boolean; maxBodyBytes?: number } = {}): void {
    const names = (METHODS as Record<string, readonly [string, string]>)[method];
    if (!names) throw new InternalError(`no RPC method ${method} in proto/galaxy.proto`);
    const path = `/rpc/${method}`;
    if (this.routes.has(path)) throw new InternalError(`RPC method ${method} is registered twice`);
    const [reqName, resName] = names;
    this.routes.set(path, {
      method, reqName, resName,
      reqType: messageType(reqName),
      resType: messageType(resName),
      handler: handler as (req: unknown, ctx: CallContext) => unknown,
      auth: opts.auth ?? "internal-or-user",
      anyRole: opts.anyRole ?? false,
      maxBody: opts.maxBodyBytes ?? this.maxBody,
      ok: this.requests.labels(this.opts.role, method, "OK"),
      latency: this.latency.labels(this.opts.role, method),
      byCode: new Map(),
    });
  }

  /** Starts serving; port 0 picks a free port. Returns the bound address. */
  listen(host: string, port: number): { host: string; port: number } {
    if (this.server) throw new InternalError(`the ${this.opts.role} RPC server is already listening`);
    try {
      this.server = Bun.serve({
        hostname: host,
        port,
        // Bun's own limit sits above ours so that ours answers with a typed error body.
        maxRequestBodySize: Math.max(this.maxBody * 4, 64 * 1024 * 1024, ...[...this.routes.values()].map((r) => r.maxBody + 1024 * 1024)),
        idleTimeout: 60,
        fetch: (req, server) => this.handle(req, server),
        error: (e) => errorReply(toGalaxyError(e, "rpc server"), true),
      });
    } catch (e) {
      throw new UnavailableError(`cannot listen on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.stopLagWatch ??= sampleLag(this.lag);
    return { host, port: this.server.port ?? port };
  }

  /** Stops listening and closes open connections (calls in flight are cut). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.stopLagWatch?.();
    this.stopLagWatch = null;
    if (s) await s.stop(true);
  }

  private async handle(req: Request, server: Server<unknown>): Promise<Response> {
    const path = pathOf(req.url);
    const route = this.routes.get(path);
    if (route === undefined) {
      const other = this.opts.otherRoutes && !path.startsWith("/rpc/") ? await this.opts.otherRoutes(req, path) : null;
      return other ?? this.handleOther(req, path);
    }
    const start = performance.now();
    const format = formatOf(req.headers.get("content-type"));
    const json = format !== "protobuf";
    this.inFlight.inc();
    let res: Response;
    let code = "OK";
    try {
      if (format === "unsupported") throw unsupported(req.headers.get("content-type"));
      if (req.method === "POST") {
        res = await this.serve(route, req, server, json);
      } else {
        res = notPost(path, json);
        code = "INVALID";
      }
    } catch (e) {
      const err = toGalaxyError(e, route.method);
      if (err === e && err.code === "INTERNAL") logInternal(route.method, err);
      code = err.code;
      res = errorReply(err, json);
    }
    this.inFlight.dec();
    this.count(route, code);
    route.latency.observe((performance.now() - start) / 1000);
    return res;
  }

  private async serve(route: Route, req: Request, server: Server<unknown>, json: boolean): Promise<Response> {
    const lc = this.opts.leaderCheck;
    if (lc !== undefined && !route.anyRole) {
      const l = lc();
      if (!l.leader) throw new NotLeaderError(this.opts.role, l.leaderAddr);
    }
    let principal = authenticate(route.auth, req.headers, this.opts.secret, this.opts.authenticateUser);
    if (principal instanceof Promise) principal = await principal;
    const body = await readBody(req, route.maxBody);
    const input = json
      ? decodeJsonWith(route.reqType, route.reqName, body)
      : decodeWith(route.reqType, route.reqName, body);
    const ctx = new Context(principal, route.method, server, req);
    let out = route.handler(input, ctx);
    if (out instanceof Promise) out = await out;
    return json
      ? jsonReply(200, encodeReply(route, out as object, true) as string)
      : protobufReply(200, encodeReply(route, out as object, false) as Uint8Array<ArrayBuffer>);
  }

  private count(route: Route, code: string): void {
    if (code === "OK") {
      route.ok.inc();
      return;
    }
    let c = route.byCode.get(code);
    if (c === undefined) {
      c = this.requests.labels(this.opts.role, route.method, code);
      route.byCode.set(code, c);
    }
    c.inc();
  }

  /** /healthz, /metrics, unknown methods and paths. */
  private handleOther(req: Request, path: string): Response {
    if (path === "/healthz" || path === "/metrics") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return errorReply(new InvalidError(`use GET for ${path}`), true, 405, { allow: "GET" });
      }
      return path === "/healthz" ? this.healthz() : this.metricsReply();
    }
    const json = formatOf(req.headers.get("content-type")) !== "protobuf";
    if (path.startsWith("/rpc/")) {
      const method = path.slice(5);
      this.requests.labels(this.opts.role, "unknown", "NOT_FOUND").inc();
      return errorReply(
        new GalaxyError("NOT_FOUND", `no RPC method ${JSON.stringify(method)} on this ${this.opts.role}`, {
          kind: "method",
          id: method,
        }),
        json,
      );
    }
    return errorReply(new GalaxyError("NOT_FOUND", `no route ${JSON.stringify(path)}`, { kind: "route", id: path }), json);
  }

  private healthz(): Response {
    try {
      const extra = this.opts.health ? this.opts.health() : {};
      return jsonReply(200, JSON.stringify({ role: this.opts.role, ok: true, ...extra }));
    } catch (e) {
      const err = toGalaxyError(e, "healthz");
      return jsonReply(500, JSON.stringify({ role: this.opts.role, ok: false, error: err.message }));
    }
  }

  private metricsReply(): Response {
    return new Response(this.metrics.render(), {
      status: 200,
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  }
}

/** The handler's reply in the request's format; a reply fromObject cannot take is the handler's bug (500). */
function encodeReply(route: Route, out: object, json: boolean): Uint8Array<ArrayBuffer> | string {
  try {
    return json ? encodeJsonWith(route.resType, route.resName, out) : encodeWith(route.resType, route.resName, out);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const err = new InternalError(`${route.method} returned an invalid reply (${msg})`);
    err.cause = e;
    throw err;
  }
}

/** A thrown InternalError is a broken invariant: log it with its stack (and its cause's) before answering. */
function logInternal(method: string, err: Error): void {
  const cause = err.cause instanceof Error ? `\ncaused by: ${err.cause.stack ?? err.cause.message}` : "";
  console.error(`galaxy rpc: ${method} failed: ${err.stack ?? err.message}${cause}`);
}

function notPost(path: string, json: boolean): Response {
  return errorReply(new InvalidError(`use POST for ${path}`), json, 405, { allow: "POST" });
}

function unsupported(contentType: string | null): InvalidError {
  return new InvalidError(
    `unsupported content type ${JSON.stringify(contentType)}; use application/x-protobuf or application/json`,
  );
}
