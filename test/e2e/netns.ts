// Emulated hosts for end-to-end tests: network namespaces the test creates itself, each with one veth on a bridge
// (also created by the test) in the root namespace, in the private range 192.168.77.0/24 that exists only inside
// them (the bridge holds .1, host i holds .(10 + i)). Everything is named with a random suffix and removed by stop().
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export const SUBNET = "192.168.77";
export const BRIDGE_ADDR = `${SUBNET}.1`;

/** Why emulated hosts cannot be made here, or null. */
export function netnsMissing(): string | null {
  if (process.getuid?.() !== 0) return "needs root (ip netns, veth, bridge)";
  if (spawnSync("ip", ["-V"]).status !== 0) return "the ip command (iproute2) is missing";
  if (spawnSync("nsenter", ["--version"]).status !== 0) return "nsenter (util-linux) is missing";
  const routes = spawnSync("ip", ["-4", "route", "show", `${SUBNET}.0/24`], { encoding: "utf8" }).stdout ?? "";
  if (routes.trim()) return `${SUBNET}.0/24 is already routed here (another run's bridge?)`;
  return null;
}

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${(r.stderr ?? "").trim()}`);
}

export interface Host {
  /** Its network namespace. */
  ns: string;
  addr: string;
  /**
   * The command prefix that runs a program on this host: nsenter into its network namespace only (`ip netns exec`
   * also mounts a fresh /sys, which hides the cgroup hierarchies from an agent: its tasks would run in no cgroup).
   */
  exec: string[];
}

export class Hosts {
  readonly suffix = randomBytes(3).toString("hex");
  readonly bridge = `gxb${this.suffix}`;
  readonly hosts: Host[] = [];
  private bridgeMade = false;

  /** Creates the bridge and `n` hosts (h1..hn); on failure removes what it made and throws. */
  make(n: number): Host[] {
    try {
      ip("link", "add", this.bridge, "type", "bridge");
      this.bridgeMade = true;
      ip("addr", "add", `${BRIDGE_ADDR}/24`, "dev", this.bridge);
      ip("link", "set", this.bridge, "up");
      for (let i = 1; i <= n; i++) {
        const ns = `gx${this.suffix}h${i}`;
        const addr = `${SUBNET}.${10 + i}`;
        ip("netns", "add", ns);
        this.hosts.push({ ns, addr, exec: ["nsenter", `--net=/run/netns/${ns}`, "--"] });
        ip("link", "add", this.veth(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("link", "set", this.veth(i), "master", this.bridge, "up");
        ip("-n", ns, "addr", "add", `${addr}/24`, "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", ns, "link", "set", "lo", "up");
      }
    } catch (e) {
      this.stop();
      throw e;
    }
    return this.hosts;
  }

  /** Cuts host i (1-based) off the network (its link down), or joins it again. */
  link(i: number, up: boolean): void {
    ip("-n", this.hosts[i - 1]!.ns, "link", "set", "eth0", up ? "up" : "down");
  }

  /**
   * Removes every veth pair (its root end: a namespace may outlive its name while the kernel still holds sockets of
   * a cut-off host), every namespace and the bridge; never throws.
   */
  stop(): void {
    this.hosts.forEach((h, i) => {
      spawnSync("ip", ["link", "del", this.veth(i + 1)]);
      spawnSync("ip", ["netns", "del", h.ns]);
    });
    this.hosts.length = 0;
    if (this.bridgeMade) spawnSync("ip", ["link", "del", this.bridge]);
    this.bridgeMade = false;
  }

  private veth(i: number): string {
    return `gx${this.suffix}v${i}`;
  }
}
