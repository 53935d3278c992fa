// Placing one container on an agent the checks accepted: its ports, the devices of its exclusive volumes, and what it
// is charged (shared resources plus each device's full size).
import type { Resources } from "../core/domain.ts";
import type { Demand } from "./demand.ts";
import type { Placement } from "./types.ts";
import type { WorkingAgent } from "./working-agent.ts";

/** Places one container on an agent the checks accepted: ports, devices, charge. */
export function assign(d: Demand, a: WorkingAgent, containerId: string, victims: string[]): Placement {
  const devices = a.chooseDevices(d);
  if (devices === null) throw new Error(`invariant: devices check passed but ${a.endpoint} has none for ${containerId}`);
  const ports = d.group.ports.map((p) => {
    if (p.port !== 0) {
      a.markPort(p.port, true);
      return { name: p.name, port: p.port };
    }
    const port = a.takeDynamicPort();
    if (port === null) throw new Error(`invariant: ports check passed but ${a.endpoint} has no free port`);
    return { name: p.name, port };
  });
  const charged: Resources = { ...d.shared };
  const bindings = devices.map((dev, i) => {
    charged[dev.medium === "ssd" ? "ssd" : "disk"] += dev.size;
    return { path: d.exclusive[i]!.path, hostPath: dev.path, size: dev.size, medium: dev.medium };
  });
  a.add(d.id, charged, d.batch, devices.map((dev) => dev.path), d.profile);
  return { containerId, groupId: d.id, agent: a.endpoint, ports, bindings, charged, victims };
}
