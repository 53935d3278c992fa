// Placing one container on an agent the checks accepted: its ports, the device of each disk/ssd volume, and what it
// is charged (shared resources plus the full size of each device an exclusive volume takes).
import type { Resources } from "../core/domain.ts";
import type { Demand } from "./demand.ts";
import type { DeviceShare, Placement, VolumeBinding } from "./types.ts";
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
  const bindings: VolumeBinding[] = [];
  const held: string[] = [];
  const shares: DeviceShare[] = [];
  devices.forEach((dev, i) => {
    const v = d.onDevices[i]!;
    if (dev === null) return; // a shared volume on an agent without devices of its medium: its data directory
    if (v.exclusive) {
      charged[dev.medium === "ssd" ? "ssd" : "disk"] += dev.size;
      held.push(dev.path);
      bindings.push({ path: v.path, hostPath: dev.path, size: dev.size, medium: dev.medium, shared: false });
    } else {
      shares.push({ path: dev.path, size: v.size });
      bindings.push({ path: v.path, hostPath: dev.path, size: v.size, medium: dev.medium, shared: true });
    }
  });
  a.add(d.id, charged, d.batch, held, d.profile, shares);
  return { containerId, groupId: d.id, agent: a.endpoint, ports, bindings, charged, victims };
}
