// POST /ui/api/watch: the console's live updates, as server-sent events over a fetch (so the request can carry the
// user's headers, which EventSource cannot). The body names up to MAX_CALLS read-only RPCs; AppMaster makes them as
// the caller every WATCH_EVERY_MS (longer after a slow round) and sends an event only when an answer changed:
//
//   data: {"replies":[…]}            every reply, in the order asked (the first event always)
//   event: failed  data: {code, message}   a call was refused or failed (sent once until it changes)
//   : ping                           every PING_MS, so proxies and the idle timeout keep the stream open
//
// The stream ends when the browser goes away (cancel) or at MAX_WATCH_MS (the page opens a new one).
import { InvalidError, NotFoundError, UnavailableError, isGalaxyError } from "../core/errors.ts";
import type { MethodName, RpcClient } from "../rpc/index.ts";

export const WATCH_EVERY_MS = 1000;
/** A round that took t ms waits t × SLOWDOWN before the next (≥ WATCH_EVERY_MS): a big fleet's ListAgents (MBs) is
 *  asked less often, so open pages never take more than a small share of AppMaster's time. */
const SLOWDOWN = 10;
const PING_MS = 15_000;
const MAX_WATCH_MS = 10 * 60_000;
const MAX_CALLS = 4;
/** Streams open at once on this AppMaster (each makes its calls every second). */
export const MAX_WATCHES = 200;

/** What a page may watch: reads only. */
export const WATCHABLE: Record<"appmaster" | "resman", ReadonlySet<string>> = {
  appmaster: new Set(["ListJobs", "ShowJob", "ListPods", "ListEvents", "ListServices"]),
  resman: new Set(["Status", "ListAgents", "ShowAgent", "ListPools", "ListLabels"]),
};

export interface WatchCall { to: "appmaster" | "resman"; method: string; body: Record<string, unknown> }

/** Pure: the calls a watch body asks for, checked (role, method, count); throws a one-sentence error. */
export function parseWatch(body: Record<string, unknown>): WatchCall[] {
  const calls = body.calls;
  if (!Array.isArray(calls) || calls.length === 0 || calls.length > MAX_CALLS) throw new InvalidError(`give 1 to ${MAX_CALLS} calls to watch`);
  return calls.map((c: unknown) => {
    const { to, method, body: b } = (c ?? {}) as Record<string, unknown>;
    if ((to !== "appmaster" && to !== "resman") || typeof method !== "string" || !WATCHABLE[to].has(method)) {
      throw new NotFoundError("watchable method", `${String(to)}/${String(method)}`);
    }
    return { to, method, body: b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : {} };
  });
}

const SERVICE = { appmaster: "AppMaster", resman: "ResMan" } as const;

/** One event for a round's answers, or null when they are what was sent last. */
export function eventFor(round: { replies: unknown[] } | { code: string; message: string }, last: { text: string }): string | null {
  const failed = "code" in round;
  const text = JSON.stringify(round);
  if (text === last.text) return null;
  last.text = text;
  return failed ? `event: failed\ndata: ${text}\n\n` : `data: ${text}\n\n`;
}

export class Watches {
  open = 0;

  /** The stream for `calls`, made with `clients` (the caller's credentials). */
  stream(calls: WatchCall[], clients: Record<"appmaster" | "resman", RpcClient>): Response {
    if (this.open >= MAX_WATCHES) throw new UnavailableError(`this AppMaster already serves ${MAX_WATCHES} live pages; try again later`);
    this.open++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const last = { text: "" };
    const started = Date.now();
    let pinged = started;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.open--;
    };
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start: (ctl) => {
        const round = async () => {
          if (done) return;
          const t0 = Date.now();
          let ev: string | null;
          try {
            const replies = await Promise.all(calls.map((c) => clients[c.to].call(`${SERVICE[c.to]}/${c.method}` as MethodName, c.body as never)));
            ev = eventFor({ replies }, last);
          } catch (e) {
            ev = eventFor(isGalaxyError(e) ? { code: e.code, message: e.message } : { code: "UNAVAILABLE", message: (e as Error).message }, last);
          }
          if (done) return;
          const now = Date.now();
          if (!ev && now - pinged >= PING_MS) ev = ": ping\n\n";
          try {
            if (ev) ctl.enqueue(enc.encode(ev));
            if (ev) pinged = now;
            if (now - started >= MAX_WATCH_MS) {
              ctl.close();
              return finish();
            }
          } catch {
            return finish(); // the browser went away
          }
          timer = setTimeout(() => void round(), Math.max(WATCH_EVERY_MS, (Date.now() - t0) * SLOWDOWN));
        };
        void round();
      },
      cancel: finish,
    });
    return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-store" } });
  }
}
