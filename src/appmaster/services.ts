// Service discovery, pure: each pod's published services (jobspec `services`) with their real address (the
// agent's host and the port ResMan gave the container) and a status from the task's health.
import type { JobSpec } from "../core/jobspec.ts";
import type { Pod, ServiceEndpoint } from "../rpc/types.ts";

export type ServiceStatus = "healthy" | "unhealthy" | "down";

/** "127.0.0.1:1646" -> "127.0.0.1"; "[::1]:1646" -> "::1". */
export function hostOf(endpoint: string): string {
  const i = endpoint.lastIndexOf(":");
  const host = i < 0 ? endpoint : endpoint.slice(0, i);
  return host.replace(/^\[(.*)\]$/, "$1");
}

export function servicesOf(spec: JobSpec, pods: readonly Pod[]): ServiceEndpoint[] {
  const out: ServiceEndpoint[] = [];
  for (const p of pods) {
    for (const t of spec.pod.tasks) {
      for (const s of t.services) {
        const port = p.ports.find((x) => x.name === s.port)?.port;
        const host = hostOf(p.agent);
        const address = host && port ? `${host.includes(":") ? `[${host}]` : host}:${port}` : "";
        out.push({ pod: p.id, service: s.name, address, status: statusOf(p, t.name) });
      }
    }
  }
  return out;
}

/** From the pod as it is now (pods.ts podTruth): a pod failed, lost, silent or stopping serves nothing. */
function statusOf(p: Pod, task: string): ServiceStatus {
  if (!p.agent || !SERVING.includes(p.state)) return "down";
  const t = p.tasks.find((x) => x.name === task);
  if (!t || t.state !== "running") return "down";
  return t.healthy ? "healthy" : "unhealthy";
}

const SERVING: readonly string[] = ["deploying", "starting", "running"];

/** The naming file other programs watch: <cluster-dir>/naming/<job>.json, replaced atomically on every change. */
export function namingDocument(jobId: string, name: string, version: number, services: ServiceEndpoint[]): string {
  return JSON.stringify({ job: jobId, name, version, services }, null, 2) + "\n";
}
