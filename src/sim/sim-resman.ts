// ResMan in the simulation: the real ResManCore over a "disk" (the hard-state tables, kept across crashes).
// A crash loses the core (placement, soft state); a restart is a failover: a new core, a higher epoch.
import { ResManCore } from "../resman/core.ts";
import { DEFAULT_CONFIG, type ResManConfig, type Write } from "../resman/state.ts";
import { UserDirectory } from "../resman/users.ts";

export class SimResMan {
  readonly disk = new Map<string, Map<string, unknown>>();
  core: ResManCore | null = null;
  epoch = 0;

  constructor(readonly cfg: ResManConfig = { ...DEFAULT_CONFIG, recoveryMs: 5_000, agentTimeoutMs: 10_000, safeModeFraction: 0 } as ResManConfig) {
    this.table("pools").set("default", { name: "default", createdAt: 0 });
  }

  table(name: string): Map<string, unknown> {
    let t = this.disk.get(name);
    if (!t) this.disk.set(name, (t = new Map()));
    return t;
  }

  persist(writes: Write[]): void {
    for (const w of writes) w.value === null ? this.table(w.table).delete(w.key) : this.table(w.table).set(w.key, structuredClone(w.value));
  }

  /** Takes leadership: loads hard state into a new core with the next epoch. */
  start(now: number): void {
    this.epoch++;
    const list = <T>(t: string) => [...this.table(t).values()] as T[];
    const users = new UserDirectory([{ name: "admin", admin: true, salt: "", tokenHash: "", createdAt: 0 }], []);
    this.core = new ResManCore(this.cfg, this.epoch, {
      agents: list("agents"), groups: list("groups"), pools: list<{ name: string }>("pools").map((p) => p.name),
    } as ConstructorParameters<typeof ResManCore>[2], now, users);
  }

  crash(): void {
    this.core = null;
  }
}
