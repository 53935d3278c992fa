// The JSON shapes of the RPC replies the console reads (proto/galaxy.proto, lowerCamelCase; 64-bit as numbers).
export interface Resources { millicores: number; memory: number; disk: number; ssd: number }
export interface Usage { millicores: number; memoryRss: number; memoryCache: number; disk: number; at: number }
export interface UpdateProgress {
  kind: string; fromVersion: number; toVersion: number; updated: number; total: number; breakAt: number; step: string[];
  startedAt: number; rollback: boolean; state: string;
}
export interface Job {
  id: string; name: string; jobType: string; user: string; state: string; status: string; specJson: string; version: number;
  createdAt: number; replica: number; running: number; pending: number; failed: number; healthy: number; message: string;
  resources: Resources | null; update: UpdateProgress | null; blacklist: { agent: string; until: number; reason: string }[];
}
export interface TaskStatus {
  name: string; state: string; pid: number; exitCode: number; signal: string; restarts: number; message: string;
  startedAt: number; healthy: boolean;
}
export interface Pod {
  id: string; jobId: string; agent: string; state: string; version: number; restarts: number; lastError: string;
  usage: Usage | null; startedAt: number; tasks: TaskStatus[]; ports: { name: string; port: number }[]; healthy: boolean;
}
export interface Service { pod: string; service: string; address: string; status: string }
export interface Event { seq: number; at: number; jobId: string; podId: string; kind: string; message: string }
export interface AgentStatus {
  info: { endpoint: string; pool: string; labels: string[]; total: Resources | null; hostname: string };
  state: string; lastHeartbeat: number; assigned: Resources | null; used: Usage | null; containers: number; pressure: boolean; drain: string;
}
export interface PoolUsage { name: string; total: Resources | null; assigned: Resources | null; used: Usage | null; agents: number }
export interface Status {
  masters: { role: string; address: string; epoch: number; pid: number; since: number }[];
  agentsAlive: number; agentsDead: number; agentsOffline: number; agentsDraining: number; agentsKnown: number; agentsReported: number;
  pools: PoolUsage[]; containers: number; pending: number; safeMode: boolean; safeModeReason: string; recovering: boolean;
}

export const res = (r: Resources | null | undefined): Resources => r ?? { millicores: 0, memory: 0, disk: 0, ssd: 0 };
export const use = (u: Usage | null | undefined): Usage => u ?? { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 };
