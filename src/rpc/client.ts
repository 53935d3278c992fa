// The RPC client: one call tries each address in order, follows NOT_LEADER to the named leader, and rebuilds
// typed errors from the server's Error body.
//
//   addresses ─► attempt(addr) ─ 200 ──────────────────────────► decoded reply
//                   │ connection failure / timeout / not Galaxy ─► next address (reason remembered)
//                   │ NOT_LEADER + leader ─► attempt(leader)   (at most maxRedirects times)
//                   │ NOT_LEADER, no leader ─► next address
//                   └ any other Error body ─► throw the typed error
//   all failed ─► UnavailableError("no ResMan at a:1 (connection refused), b:2 (timed out after 10000 ms)")
import { GalaxyError, InternalError, UnavailableError, errorFromCode } from "../core/errors.ts";
import { METHODS, type MethodName, type Methods } from "./gen/methods.ts";
import {
  JSON_TYPE, PROTOBUF, decodeJsonWith, decodeWith, encodeJsonWith, encodeWith, messageType,
  type DeepPartial, type MessageType,
} from "./codec.ts";
import { codeForStatus, errorFromWire, type WireError } from "./errors.ts";
import { SECRET_HEADER, TOKEN_HEADER, USER_HEADER } from "./auth.ts";

export interface Credentials {
  secret?: string;
  user?: string;
  token?: string;
}

export interface CallOptions {
  /** this call's limit (default: the client's timeoutMs) */
  timeoutMs?: number;
  /** cancels the call (a long-poll its caller no longer needs) */
  signal?: AbortSignal;
  /**
   * Only the first address, no redirect: a long-poll bound to the leader it was sent to. When that leader dies, a
   * herd of such calls must not fall on its standby while it takes over (the caller's regular calls find the new one).
   */
  firstOnly?: boolean;
  /** Sends the POST instead of fetch (a connection the caller owns; see Transport). */
  transport?: Transport;
}

/** What a POST answered: status, content type and the whole body. */
export interface RawReply {
  status: number;
  contentType: string | null;
  bytes: Uint8Array;
}

/**
 * One POST by other means than fetch, e.g. over a keep-alive connection of the caller's own. It rejects on a
 * failure to reach the address (errors named as fetch's are: name "TimeoutError", code "ECONNREFUSED", ...).
 */
export type Transport = (
  addr: string, path: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string>, timeoutMs: number,
  signal?: AbortSignal,
) => Promise<RawReply>;

export interface RpcClientOptions {
  /** "host:port", tried in order; a function is re-evaluated on each call (leader files). */
  addresses: string[] | (() => string[]);
  credentials: Credentials | (() => Credentials);
  /** Per attempt; default 10000. */
  timeoutMs?: number;
  /** Send JSON instead of protobuf (debugging). */
  json?: boolean;
  /** How many NOT_LEADER answers to follow to the named leader; default 3. */
  maxRedirects?: number;
}

interface Target {
  path: string;
  service: string;
  reqName: string;
  resName: string;
  reqType: MessageType;
  resType: MessageType;
}

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string } | { ok: false; error: GalaxyError };

const ERROR_TYPE = messageType("Error");

export class RpcClient {
  private readonly targets = new Map<string, Target>();
  private readonly staticHeaders: Record<string, string> | null;

  constructor(private readonly opts: RpcClientOptions) {
    this.staticHeaders = typeof opts.credentials === "function" ? null : this.headers(opts.credentials);
  }

  async call<M extends MethodName>(
    method: M,
    req: DeepPartial<Methods[M]["req"]>,
    opts: CallOptions = {},
  ): Promise<Methods[M]["res"]> {
    return this.callEncoded(method, this.encodeRequest(method, req), opts);
  }

  /** The request body `call` would send; a caller that sends the same request often may encode it once. */
  encodeRequest<M extends MethodName>(method: M, req: DeepPartial<Methods[M]["req"]>): Uint8Array<ArrayBuffer> | string {
    const t = this.target(method);
    return this.opts.json === true ? encodeJsonWith(t.reqType, t.reqName, req) : encodeWith(t.reqType, t.reqName, req);
  }

  /** `call` with a body from encodeRequest (same client, so the same format). */
  async callEncoded<M extends MethodName>(
    method: M,
    body: Uint8Array<ArrayBuffer> | string,
    opts: CallOptions = {},
  ): Promise<Methods[M]["res"]> {
    const t = this.target(method);
    const headers = this.staticHeaders ?? this.headers((this.opts.credentials as () => Credentials)());
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? 10_000;
    const all = typeof this.opts.addresses === "function" ? this.opts.addresses() : this.opts.addresses;
    const addresses = opts.firstOnly ? all.slice(0, 1) : all;
    if (addresses.length === 0) throw new UnavailableError(`no ${t.service} address is known`, { service: t.service });
    const failures: string[] = [];
    let redirects = 0;
    let next = 0;
    let addr: string | undefined = addresses[next++];
    while (addr !== undefined) {
      const r = await this.attempt(addr, t, body, headers, timeoutMs, opts.signal, opts.transport);
      if (r.ok) return r.value as Methods[M]["res"];
      if ("reason" in r) {
        failures.push(`${addr} (${r.reason})`);
      } else if (r.error.code !== "NOT_LEADER") {
        throw r.error;
      } else {
        const leader = r.error.details.leader ?? "";
        if (leader !== "" && leader !== addr && redirects < (opts.firstOnly ? 0 : (this.opts.maxRedirects ?? 3))) {
          redirects++;
          addr = leader;
          continue;
        }
        if (leader !== "" && leader !== addr) throw r.error;
        failures.push(`${addr} (not the leader)`);
      }
      addr = addresses[next++];
    }
    throw new UnavailableError(`no ${t.service} at ${failures.join(", ")}`, { service: t.service });
  }

  /** One POST to one address. Never throws: a failure to reach a Galaxy server is a reason, an answer an error. */
  private async attempt(
    addr: string, t: Target, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string>, timeoutMs: number,
    cancel?: AbortSignal, transport?: Transport,
  ): Promise<Outcome> {
    let res: RawReply;
    try {
      res = transport ? await transport(addr, t.path, body, headers, timeoutMs, cancel) : await fetchPost(addr, t.path, body, headers, timeoutMs, cancel);
    } catch (e) {
      return { ok: false, reason: failureReason(e, timeoutMs) };
    }
    const json = (res.contentType ?? "").startsWith(JSON_TYPE);
    if (res.status === 200) return this.decodeReply(addr, t, res.bytes, json);
    const wire = parseError(res.bytes, json, res.contentType);
    if (wire !== null) return { ok: false, error: errorFromWire(wire) };
    // No Error body: Bun's own 413, or something that is not a Galaxy server.
    if (res.status === 413) return { ok: false, error: errorFromCode(codeForStatus(413), `${addr} refused the request body as too large`) };
    return { ok: false, reason: `HTTP ${res.status} without a Galaxy error body` };
  }

  private decodeReply(addr: string, t: Target, bytes: Uint8Array, json: boolean): Outcome {
    try {
      const value = json ? decodeJsonWith(t.resType, t.resName, bytes) : decodeWith(t.resType, t.resName, bytes);
      return { ok: true, value };
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return { ok: false, error: new InternalError(`${addr} sent a bad ${t.resName} for ${t.path.slice(5)}: ${why}`) };
    }
  }

  private target(method: MethodName): Target {
    let t = this.targets.get(method);
    if (t === undefined) {
      const names = (METHODS as Record<string, readonly [string, string]>)[method];
      if (!names) throw new InternalError(`no RPC method ${method} in proto/galaxy.proto`);
      const [reqName, resName] = names;
      const service = method.slice(0, method.indexOf("/"));
      t = { path: `/rpc/${method}`, service, reqName, resName, reqType: messageType(reqName), resType: messageType(resName) };
      this.targets.set(method, t);
    }
    return t;
  }

  private headers(c: Credentials): Record<string, string> {
    const h: Record<string, string> = { "content-type": this.opts.json ? JSON_TYPE : PROTOBUF };
    if (c.secret) h[SECRET_HEADER] = c.secret;
    if (c.user) h[USER_HEADER] = c.user;
    if (c.token) h[TOKEN_HEADER] = c.token;
    return h;
  }
}

/** The default transport: fetch (its keep-alive pool is shared by the whole process). */
const fetchPost: Transport = async (addr, path, body, headers, timeoutMs, cancel) => {
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await fetch(`http://${addr}${path}`, { method: "POST", body, headers, signal: cancel ? AbortSignal.any([timeout, cancel]) : timeout });
  const bytes = await res.bytes();
  return { status: res.status, contentType: res.headers.get("content-type"), bytes };
};

/** An Error body, or null when the body is not one (wrong type, undecodable, or without a code). */
function parseError(bytes: Uint8Array, json: boolean, contentType: string | null): WireError | null {
  try {
    if (json) return nonEmpty(decodeJsonWith<WireError>(ERROR_TYPE, "Error", bytes));
    if (contentType !== null && contentType.startsWith(PROTOBUF)) return nonEmpty(decodeWith<WireError>(ERROR_TYPE, "Error", bytes));
  } catch {
    // fall through: not a Galaxy error body
  }
  return null;
}

function nonEmpty(w: WireError): WireError | null {
  return w.code ? w : null;
}

/** One short phrase for why an address could not be reached. */
export function failureReason(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; code?: string; message?: string };
  if (err?.name === "TimeoutError") return `timed out after ${timeoutMs} ms`;
  switch (err?.code) {
    case "ECONNREFUSED": case "ConnectionRefused": return "connection refused";
    case "ECONNRESET": case "ConnectionClosed": return "connection reset";
    case "ENOTFOUND": return "host not found";
    case "EHOSTUNREACH": return "host unreachable";
    case "ENETUNREACH": return "network unreachable";
    case "ETIMEDOUT": return "connection timed out";
  }
  return err?.message ?? String(e);
}
