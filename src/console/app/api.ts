// How the page talks to the cluster: AppMaster's own RPCs (POST /rpc/AppMaster/M, JSON) and the console's routes
// (/ui/api/…), all with the headers the CLI sends (x-galaxy-user, x-galaxy-token). The token lives in this tab's
// sessionStorage only: closing the tab logs out. A refusal comes back as the server's own sentence.
import { useEffect, useRef, useState } from "preact/hooks";
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

export interface Live<T> { data: T | null; error: string; reload: () => void }

/** LIVE_MS: how often a page asks again (one request in flight at most; a new answer re-renders what changed). */
export const LIVE_MS = 1000;

/**
 * Loads now, then again every LIVE_MS while mounted and in sight (and at once on reload()), so a page follows the
 * cluster without a reload. The last error is kept beside the last good data (a blip does not blank the page).
 */
export function useLive<T>(load: () => Promise<T>, deps: unknown[]): Live<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState("");
  const kick = useRef<() => void>(() => {});
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let busy = false;
    let data: T | null = null;
    setData(null);
    const run = async () => {
      if (stopped || busy) return;
      if (document.hidden && data !== null) {
        timer = setTimeout(() => void run(), LIVE_MS); // a tab out of sight asks nothing
        return;
      }
      busy = true;
      clearTimeout(timer);
      try {
        const v = await load();
        data = v;
        if (!stopped) {
          setData(v);
          setError("");
        }
      } catch (e) {
        if (!stopped) setError((e as Error).message);
      }
      busy = false;
      if (!stopped) timer = setTimeout(() => void run(), LIVE_MS);
    };
    kick.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
  return { data, error, reload: () => kick.current() };
}
