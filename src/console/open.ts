// `galaxy ui`: which AppMaster serves the console (the leader, found from the leader file or the addresses' health),
// its URL, and a browser opened on it when there is a display to open one on.
import { spawn, spawnSync } from "node:child_process";
import { UnavailableError } from "../core/errors.ts";

export interface Health { addr: string; leader: boolean | null; error: string }

/** Pure: the leader among the answers, else the first that answered; null when none did. */
export function chooseConsole(answers: readonly Health[]): string | null {
  return (answers.find((a) => a.leader === true) ?? answers.find((a) => a.leader !== null))?.addr ?? null;
}

export const consoleUrl = (addr: string): string => `http://${addr}/ui/`;

async function health(addr: string): Promise<Health> {
  try {
    const r = await fetch(`http://${addr}/healthz`, { signal: AbortSignal.timeout(3000) });
    const v = (await r.json()) as { role?: string; leader?: boolean };
    if (v.role !== "appmaster") return { addr, leader: null, error: `${addr} is not an AppMaster` };
    return { addr, leader: v.leader === true, error: "" };
  } catch (e) {
    return { addr, leader: null, error: `${addr}: ${(e as Error).message}` };
  }
}

/** The console's URL on the leading AppMaster (asked in order; the first to say it leads wins). */
export async function findConsole(addrs: readonly string[]): Promise<string> {
  const answers = await Promise.all([...new Set(addrs)].map(health));
  const addr = chooseConsole(answers);
  if (!addr) throw new UnavailableError(`no AppMaster answers (${answers.map((a) => a.error).join("; ")}): is the cluster up?`);
  return consoleUrl(addr);
}

/** Pure: how to open a browser here, or null (no display: a server over ssh). */
export function opener(env: Record<string, string | undefined>, has: (cmd: string) => boolean): string | null {
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  return ["xdg-open", "sensible-browser"].find(has) ?? null;
}

export const hasCommand = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

/** Starts the browser detached; the command does not wait for it. */
export function openBrowser(cmd: string, url: string): void {
  const child = spawn(cmd, [url], { stdio: "ignore", detached: true });
  child.on("error", () => {});
  child.unref();
}
