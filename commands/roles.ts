// Helpers shared by the long-running role commands: address parsing, logging, signal handling.
import { hostname } from "node:os";
import { InvalidError } from "../src/core/errors.ts";

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new InvalidError(`--listen ${JSON.stringify(listen)} is not HOST:PORT or :PORT`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new InvalidError(`--listen port ${port} is out of range`);
  return { host: m[1] || "0.0.0.0", port };
}

/** The address others use to reach this process. */
export function advertiseOf(listen: { host: string; port: number }, advertise?: string): string {
  if (advertise) return advertise;
  const host = listen.host === "0.0.0.0" || listen.host === "::" ? hostname() : listen.host;
  return `${host}:${listen.port}`;
}

export const roleLog = (msg: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
};

/** Runs until SIGINT/SIGTERM (clean stop, exit 0) or until `lost` resolves (deposed leader: exit 1, restart as standby). */
export async function runUntilStopped(stop: () => Promise<void>, lost?: Promise<void>): Promise<never> {
  const signalled = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  const outcome = await Promise.race([signalled, lost?.then(() => "lost", (e) => `failed: ${(e as Error).message}`) ?? new Promise<string>(() => {})]);
  if (outcome === "lost") roleLog("lost leadership; exiting so a supervisor restarts this process as a standby");
  else if (outcome.startsWith("failed")) roleLog(outcome);
  await stop().catch((e) => roleLog(`stop: ${(e as Error).message}`));
  process.exit(outcome.startsWith("SIG") ? 0 : 1);
}
