// One HTTP/1.1 keep-alive connection its owner keeps for itself: a Transport for RpcClient calls that must not
// share fetch's process-wide pool (64 idle sockets). A simulated fleet of thousands of agents in one process needs
// one connection per agent, as each real agent (its own process) has: through fetch's pool it would open and close
// thousands of connections a second, which no real fleet does and which is a load of its own on the server.
//
//   request(addr, ...) ──► connected to addr? else (re)connect ──► write head + body (rest on drain)
//   data ──► head complete? status, content-type, content-length | chunked ──► body complete ──► resolve
//   close / error before the reply ──► reject (a reused connection closed before any reply byte: one retry, fresh)
//   timeout / abort ──► close the connection, reject (TimeoutError / AbortError, as fetch names them)
//
// One request at a time per connection (HTTP/1.1 without pipelining); a second concurrent one is a bug.
import type { Socket } from "bun";
import { InternalError } from "../core/errors.ts";
import type { RawReply, Transport } from "../rpc/client.ts";

interface Pending {
  resolve: (r: RawReply) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  signal?: AbortSignal;
  onAbort?: () => void;
  /** Any byte of the reply seen (a close after that is a broken reply, never retried). */
  answered: boolean;
  retry: (() => void) | null;
}

const CRLF2 = [13, 10, 13, 10];
const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** The head of a reply: where the body starts and how it is framed. */
interface Head {
  status: number;
  contentType: string | null;
  bodyStart: number;
  length: number; // -1: chunked
  close: boolean;
}

export class KeepAliveConn {
  private sock: Socket<KeepAliveConn> | null = null;
  private addr = "";
  private connecting: Promise<Socket<KeepAliveConn>> | null = null;
  private pending: Pending | null = null;
  private buf = new Uint8Array(4096);
  private len = 0;
  private head: Head | null = null;
  private unsent: Uint8Array | null = null;
  /** Requests answered on the current connection (a connection that served one may have been closed as idle). */
  private served = 0;
  /** `counter.connects` counts the connections opened (pass one counter to many connections to count them all). */
  constructor(private readonly counter: { connects: number } = { connects: 0 }) {}

  /** Connections opened through this object's counter. */
  get connects(): number {
    return this.counter.connects;
  }

  /** This connection as a Transport for RpcClient's CallOptions. */
  readonly transport: Transport = (addr, path, body, headers, timeoutMs, signal) => this.request(addr, path, body, headers, timeoutMs, signal);

  request(
    addr: string, path: string, body: Uint8Array | string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal,
  ): Promise<RawReply> {
    if (this.pending) return Promise.reject(new InternalError("a keep-alive connection carries one request at a time"));
    if (signal?.aborted) return Promise.reject(abortError());
    const bytes = typeof body === "string" ? enc.encode(body) : body;
    let head = `POST ${path} HTTP/1.1\r\nhost: ${addr}\r\ncontent-length: ${bytes.byteLength}\r\n`;
    for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
    const h = enc.encode(head + "\r\n");
    const msg = new Uint8Array(h.byteLength + bytes.byteLength);
    msg.set(h);
    msg.set(bytes, h.byteLength);
    return new Promise<RawReply>((resolve, reject) => {
      const p: Pending = {
        resolve, reject, answered: false, retry: null,
        timer: setTimeout(() => this.fail(timeoutError(timeoutMs)), timeoutMs),
      };
      if (signal) {
        p.signal = signal;
        p.onAbort = () => this.fail(abortError());
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.pending = p;
      const send = (fresh: boolean) => {
        if (fresh) this.drop();
        const reused = this.sock !== null && this.addr === addr && this.served > 0;
        p.retry = reused ? () => send(true) : null;
        this.connectTo(addr).then(
          (s) => { if (this.pending === p) this.write(s, msg); },
          (e: Error) => { if (this.pending === p) this.fail(e); },
        );
      };
      send(false);
    });
  }

  /** Closes the connection (a request in flight fails). */
  close(): void {
    if (this.pending) this.fail(new InternalError("connection closed by its owner"));
    this.drop();
  }

  private async connectTo(addr: string): Promise<Socket<KeepAliveConn>> {
    if (this.sock !== null && this.addr === addr) return this.sock;
    if (this.connecting !== null && this.addr === addr) return this.connecting;
    this.drop();
    this.addr = addr;
    const colon = addr.lastIndexOf(":");
    this.counter.connects++;
    const c = Bun.connect<KeepAliveConn>({ hostname: addr.slice(0, colon), port: Number(addr.slice(colon + 1)), data: this, socket: HANDLERS });
    this.connecting = c;
    try {
      const s = await c;
      if (this.connecting !== c) { // dropped (timeout, abort, close) while connecting
        s.end();
        throw new InternalError("connection dropped while connecting");
      }
      this.connecting = null;
      this.sock = s;
      this.served = 0;
      return s;
    } catch (e) {
      if (this.connecting === c) this.connecting = null;
      throw e;
    }
  }

  private write(s: Socket<KeepAliveConn>, msg: Uint8Array): void {
    this.len = 0;
    this.head = null;
    this.writeSome(s, msg);
  }

  /** Writes what the socket takes now; the rest goes on drain. */
  private writeSome(s: Socket<KeepAliveConn>, bytes: Uint8Array): void {
    const n = s.write(bytes);
    this.unsent = n < bytes.byteLength ? bytes.subarray(Math.max(0, n)) : null;
  }

  /** @internal socket handlers */
  onDrain(s: Socket<KeepAliveConn>): void {
    if (this.unsent !== null && s === this.sock) this.writeSome(s, this.unsent);
  }

  /** @internal */
  onData(s: Socket<KeepAliveConn>, chunk: Uint8Array): void {
    const p = this.pending;
    if (s !== this.sock || p === null) return; // a stray byte on an idle connection: the next request reconnects
    p.answered = true;
    if (this.len + chunk.byteLength > this.buf.byteLength) {
      const bigger = new Uint8Array(Math.max(this.buf.byteLength * 2, this.len + chunk.byteLength));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.byteLength;
    if (this.head === null) {
      const end = indexOf(this.buf, this.len, CRLF2);
      if (end < 0) return;
      try {
        this.head = parseHead(latin1.decode(this.buf.subarray(0, end)), end + 4);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
    }
    const h = this.head;
    let bytes: Uint8Array | null;
    if (h.length >= 0) {
      if (this.len < h.bodyStart + h.length) return;
      bytes = this.buf.slice(h.bodyStart, h.bodyStart + h.length);
    } else {
      bytes = dechunk(this.buf, h.bodyStart, this.len);
      if (bytes === null) return;
    }
    this.served++;
    this.settle();
    if (h.close) this.drop();
    p.resolve({ status: h.status, contentType: h.contentType, bytes });
  }

  /** @internal the connection closed (by the peer, an error, or us) */
  onClose(s: Socket<KeepAliveConn>, err?: Error): void {
    if (s !== this.sock) return;
    this.sock = null;
    const p = this.pending;
    if (p === null) return;
    if (!p.answered && p.retry !== null) { // an idle connection the server had closed: once more on a fresh one
      const again = p.retry;
      p.retry = null;
      again();
      return;
    }
    this.fail(connectionError(err));
  }

  private fail(e: Error): void {
    const p = this.pending;
    if (p === null) return;
    this.settle();
    this.drop();
    p.reject(e);
  }

  private settle(): void {
    const p = this.pending;
    if (p === null) return;
    clearTimeout(p.timer);
    if (p.signal && p.onAbort) p.signal.removeEventListener("abort", p.onAbort);
    this.pending = null;
    this.head = null;
    this.len = 0;
    this.unsent = null;
    if (this.buf.byteLength > 1 << 20) this.buf = new Uint8Array(4096);
  }

  private drop(): void {
    const s = this.sock;
    this.sock = null;
    this.connecting = null;
    this.served = 0;
    if (s !== null) s.end();
  }
}

const HANDLERS = {
  data: (s: Socket<KeepAliveConn>, chunk: Uint8Array) => s.data.onData(s, chunk),
  drain: (s: Socket<KeepAliveConn>) => s.data.onDrain(s),
  close: (s: Socket<KeepAliveConn>, err?: Error) => s.data.onClose(s, err),
  end: (s: Socket<KeepAliveConn>) => { s.end(); s.data.onClose(s); },
  error: (s: Socket<KeepAliveConn>, err: Error) => s.data.onClose(s, err),
  timeout: (s: Socket<KeepAliveConn>) => s.data.onClose(s),
};

function parseHead(text: string, bodyStart: number): Head {
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) throw new InternalError(`not an HTTP reply: ${JSON.stringify((lines[0] ?? "").slice(0, 60))}`);
  const h: Head = { status: Number(m[1]), contentType: null, bodyStart, length: 0, close: lines[0]!.startsWith("HTTP/1.0") };
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") h.length = Number(value);
    else if (name === "content-type") h.contentType = value;
    else if (name === "transfer-encoding") chunked = value.toLowerCase().includes("chunked");
    else if (name === "connection") h.close = value.toLowerCase() === "close";
  }
  if (chunked) h.length = -1;
  else if (!Number.isSafeInteger(h.length) || h.length < 0) throw new InternalError(`bad content-length in an HTTP reply`);
  return h;
}

/** The body of a complete chunked encoding in buf[start, end), or null while incomplete. */
function dechunk(buf: Uint8Array, start: number, end: number): Uint8Array | null {
  const parts: Uint8Array[] = [];
  let at = start;
  for (;;) {
    const eol = indexOf(buf, end, [13, 10], at);
    if (eol < 0) return null;
    const size = parseInt(latin1.decode(buf.subarray(at, eol)), 16);
    if (!Number.isFinite(size) || size < 0) throw new InternalError("bad chunk size in an HTTP reply");
    at = eol + 2;
    if (size === 0) {
      if (indexOf(buf, end, CRLF2.slice(0, 2), at) < 0) return null; // the last CRLF (no trailers expected)
      break;
    }
    if (at + size + 2 > end) return null;
    parts.push(buf.subarray(at, at + size));
    at += size + 2;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

function indexOf(buf: Uint8Array, end: number, pat: number[], from = 0): number {
  const last = end - pat.length;
  outer: for (let i = from; i <= last; i++) {
    for (let k = 0; k < pat.length; k++) if (buf[i + k] !== pat[k]) continue outer;
    return i;
  }
  return -1;
}

function timeoutError(ms: number): Error {
  const e = new Error(`timed out after ${ms} ms`);
  e.name = "TimeoutError";
  return e;
}

function abortError(): Error {
  const e = new Error("the call was cancelled");
  e.name = "AbortError";
  return e;
}

function connectionError(err?: Error): Error {
  const e = new Error(err?.message ?? "connection closed before the reply");
  (e as Error & { code: string }).code = "ECONNRESET";
  return e;
}
