// Test fixtures for the AppMaster's pure parts: job specs, records and pod views.
import { parseJobFile, type JobSpec } from "../core/jobspec.ts";
import { newJobRecord, type JobRecord } from "./jobs.ts";
import type { PlanOptions, PodView } from "./planner.ts";

export const OPTS: PlanOptions = { podLostTimeout: 60_000, blacklistTtl: 300_000, maxMoves: 2 };

export interface SpecOptions {
  type?: string;
  replica?: number;
  step?: number;
  interval?: string;
  updateBreak?: number;
  deployTimeout?: string;
  pkg?: string;
  data?: string;
  cpu?: number;
  start?: string;
}

export function spec(o: SpecOptions = {}): JobSpec {
  const data = o.data ? `\n      data: {reload: "kill -HUP 1", packages: [{source: "file:///d/${o.data}.tar.gz", version: "${o.data}", dest: dict}]}` : "";
  return parseJobFile(`
name: web
type: ${o.type ?? "service"}
deploy:
  replica: ${o.replica ?? 3}
  step: ${o.step ?? 1}
  interval: ${o.interval ?? "0s"}
  update_break: ${o.updateBreak ?? 0}
  deploy_timeout: ${o.deployTimeout ?? "1m"}
  pools: [default]
pod:
  tasks:
    - name: main
      cpu: {millicores: ${o.cpu ?? 100}}
      memory: {size: 64M}
      ports: [{name: http, port: dynamic}]
      package: {source: "file:///p/web-${o.pkg ?? "1"}.tar.gz", version: "${o.pkg ?? "1"}", dest: app}
      start: "${o.start ?? "exec ./app/run"}"
      health: {port: http}${data}
      services: [{name: web, port: http}]
`);
}

export function job(o: SpecOptions = {}, state: JobRecord["state"] = "running"): JobRecord {
  return { ...newJobRecord("web-1", spec(o), "alice", 0), state };
}

export function pod(i: number, over: Partial<PodView> = {}): PodView {
  return { id: `web-1.${i}`, agent: `a${i % 3}:1`, state: "running", version: 1, reported: true, lostSince: 0, lastError: "", restarts: 0, busy: false, placedAt: 0, blocked: false, ...over };
}

export function pods(n: number, over: Partial<PodView> = {}): PodView[] {
  return Array.from({ length: n }, (_, i) => pod(i, over));
}

export const fresh = (n: number): PodView[] => pods(n, { state: "pending", version: 0 });
