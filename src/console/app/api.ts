// How the page talks to the cluster: AppMaster's own RPCs (POST /rpc/AppMaster/M, JSON) and the console's routes
// (/ui/api/…), all with the headers the CLI sends (x-galaxy-user, x-galaxy-token). The token lives in this tab's
// sessionStorage only: closing the tab logs out. A refusal comes back as the server's own sentence. Pages follow the
// cluster through one live stream each (useLive, POST /ui/api/watch: server-sent events read with fetch).
import { useEffect, useState } from "preact/hooks";
import type { Me } from "./model.ts";

const KEY = "galaxy.session";

export interface Session { user: string; token: string }

export function session(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Session | null;
    return s && s.user && s.token ? s : null;
  } catch {
    return null;
  }
}

export const saveSession = (s: Session | null): void => (s ? sessionStorage.setItem(KEY, JSON.stringify(s)) : sessionStorage.removeItem(KEY));

export class ApiError extends Error {
  constructor(message: string, readonly code: string, readonly status: number, readonly leader = "") {
    super(message);
  }
}

async function post<T>(path: string, body: unknown, s: Session | null = session()): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (s) Object.assign(headers, { "x-galaxy-user": s.user, "x-galaxy-token": s.token });
  let r: Response;
  try {
    r = await fetch(path, { method: "POST", headers, body: JSON.stringify(body ?? {}) });
  } catch {
    throw new ApiError("AppMaster does not answer (is the cluster up?)", "UNAVAILABLE", 0);
  }
  const text = await r.text();
  let v: Record<string, unknown> = {};
  try {
    v = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new ApiError(`unexpected answer (${r.status})`, "INTERNAL", r.status);
  }
  if (!r.ok) {
    const leader = typeof v.leader === "string" ? v.leader : "";
    if (r.status === 401) window.dispatchEvent(new Event("galaxy-logout"));
    if (v.code === "NOT_LEADER" && leader) {
      throw new ApiError(`this AppMaster is a standby: the console is served by the leader, http://${leader}/ui/`, "NOT_LEADER", r.status, leader);
    }
    throw new ApiError(String(v.message ?? `error ${r.status}`), String(v.code ?? "ERROR"), r.status, leader);
  }
  return v as T;
}

/** AppMaster/M: the same RPC the CLI calls. */
export const am = <T>(method: string, body: unknown = {}): Promise<T> => post<T>(`/rpc/AppMaster/${method}`, body);
/** ResMan/M through AppMaster, as this user (src/console/server.ts RESMAN_METHODS). */
export const rm = <T>(method: string, body: unknown = {}): Promise<T> => post<T>(`/ui/api/resman/${method}`, body);
export const whoami = (s?: Session): Promise<Me> => post<Me>("/ui/api/whoami", {}, s ?? session());
export interface LogChunk { text: string; offset: number; exists: boolean; ended: string; agent: string; task: string }
export const readLogs = (req: { pod: string; task: string; stderr: boolean; offset: number; tail: number }): Promise<LogChunk> =>
  post<LogChunk>("/ui/api/logs", req);

export interface Live<T> { data: T | null; error: string }

/** A read-only RPC a page follows (src/console/watch.ts WATCHABLE). */
export interface WatchCall { to: "appmaster" | "resman"; method: string; body?: Record<string, unknown> }

/** How long to wait before opening a stream again after it ended or failed. */
const RETRY_MS = 1000;

/** Splits server-sent events out of `buf`; returns what is left (an event not yet complete). */
export function takeEvents(buf: string, on: (event: string, data: string) => void): string {
  let at: number;
  while ((at = buf.indexOf("\n\n")) >= 0) {
    const block = buf.slice(0, at);
    buf = buf.slice(at + 2);
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (data.length) on(event, data.join("\n"));
  }
  return buf;
}

/**
 * Follows `calls` live: AppMaster makes them as this user every second and streams their replies whenever they
 * change (POST /ui/api/watch, server-sent events); `shape` turns the replies into what the page shows. A stream that
 * ends or fails is opened again; the last error is kept beside the last good data (a blip does not blank the page).
 * With `calls` null, `shape([])` once (a made-up fleet).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function useLive<T>(calls: WatchCall[] | null, shape: (replies: any) => T, deps: unknown[]): Live<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    setData(null);
    if (calls === null) return void setData(shape([]));
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = async () => {
      const s = session();
      try {
        const r = await fetch("/ui/api/watch", {
          method: "POST", signal: abort.signal,
          headers: { "content-type": "application/json", ...(s ? { "x-galaxy-user": s.user, "x-galaxy-token": s.token } : {}) },
          body: JSON.stringify({ calls: calls.map((c) => ({ ...c, body: c.body ?? {} })) }),
        });
        if (!r.ok || !r.body) {
          const v = (await r.json().catch(() => ({}))) as { message?: string };
          if (r.status === 401) window.dispatchEvent(new Event("galaxy-logout"));
          throw new Error(v.message ?? `error ${r.status}`);
        }
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buf = takeEvents(buf + value, (event, text) => {
            const v = JSON.parse(text) as { replies?: unknown[]; code?: string; message?: string };
            if (event === "failed") {
              if (v.code === "UNAUTHENTICATED") window.dispatchEvent(new Event("galaxy-logout"));
              setError(v.message ?? "failed");
            } else {
              setData(shape(v.replies ?? []));
              setError("");
            }
          });
        }
      } catch (e) {
        if (abort.signal.aborted) return;
        setError((e as Error).message === "Failed to fetch" ? "AppMaster does not answer (is the cluster up?)" : (e as Error).message);
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void open(), RETRY_MS);
    };
    void open();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, deps);
  return { data, error };
}
