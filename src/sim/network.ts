// The simulation's network: components by name, each up, down (crashed: memory lost) or paused (stalled: neither
// acts nor answers), and links that can be cut (partitions). A call across a cut link, or to a down or paused
// component, fails the way a timeout does.

export type Health = "up" | "down" | "paused";

export class SimNetwork {
  private readonly health = new Map<string, Health>();
  private readonly cut = new Set<string>();

  set(name: string, h: Health): void {
    this.health.set(name, h);
  }

  get(name: string): Health {
    return this.health.get(name) ?? "up";
  }

  partition(a: string, b: string): void {
    this.cut.add(key(a, b));
  }

  heal(a: string, b: string): void {
    this.cut.delete(key(a, b));
  }

  healAll(): void {
    this.cut.clear();
  }

  /** Whether `from` can call `to` right now (both up, link intact). */
  reachable(from: string, to: string): boolean {
    return this.get(from) === "up" && this.get(to) === "up" && !this.cut.has(key(from, to));
  }
}

const key = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

export class Unreachable extends Error {
  constructor(from: string, to: string) {
    super(`${from} cannot reach ${to}`);
  }
}
