// Typed clients for AppMaster and ResMan, following leader files in the cluster directory when one is known.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RpcClient } from "../rpc/index.ts";
import type { ClientConfig } from "./config.ts";

export function leaderAddr(clusterDir: string, role: "resman" | "appmaster"): string | null {
  if (!clusterDir) return null;
  const file = join(clusterDir, `${role}.leader`);
  if (!existsSync(file)) return null;
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { addr?: string }).addr ?? null;
  } catch {
    return null;
  }
}

function client(cfg: ClientConfig, role: "resman" | "appmaster", fixed: string[], defaultAddr: string): RpcClient {
  return new RpcClient({
    addresses: () => {
      const leader = cfg.followLeader?.[role] === false ? null : leaderAddr(cfg.clusterDir, role);
      const all = [...(leader ? [leader] : []), ...fixed];
      return all.length ? [...new Set(all)] : [defaultAddr];
    },
    credentials: { user: cfg.user, token: cfg.token },
    timeoutMs: 15_000,
  });
}

export const appmasterClient = (cfg: ClientConfig): RpcClient => client(cfg, "appmaster", cfg.appmaster, "127.0.0.1:1647");
export const resmanClient = (cfg: ClientConfig): RpcClient => client(cfg, "resman", cfg.resman, "127.0.0.1:1645");

/** A client for one agent (logs, exec), with the user's credentials. */
export const agentClient = (cfg: ClientConfig, endpoint: string, timeoutMs = 15_000): RpcClient =>
  new RpcClient({ addresses: [endpoint], credentials: { user: cfg.user, token: cfg.token }, timeoutMs });
