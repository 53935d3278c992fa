// One container as ResMan holds it, shaped for a million of them (bench B5). What every container needs is 12 slots,
// one 112-byte JSC cell; what few need (an explicit charge, exclusive-volume bindings, an exit, a pending reason, an
// eviction) sits in a side record allocated on the first non-default write and dropped when all is default again.
// Empty ports, bindings and reasons are shared frozen values, a report's state is stored as the interned literal, and
// a report's usage is copied into the container's own object (none while it is all zero), so a steady stream of
// full reports allocates nothing that outlives the report.
import type { ContainerReport, ContainerState, PortBinding, Resources, Usage } from "../rpc/types.ts";
import type { VolumeBinding } from "../scheduler/index.ts";

export const NO_PORTS = Object.freeze([]) as unknown as PortBinding[];
export const NO_BINDINGS = Object.freeze([]) as unknown as VolumeBinding[];
export const NO_REASONS = Object.freeze({}) as Record<string, number>;

export type ContainerRecState = ContainerState | "preempted";
/** What a report changed that hints show (see applyReport). */
export type ReportChange = "hint" | "usage" | "";

/** Every state's literal: a decoded report's fresh string is swapped for it. */
const STATES: Record<string, ContainerRecState> = {
  pending: "pending", allocated: "allocated", creating: "creating", running: "running", exited: "exited",
  failed: "failed", lost: "lost", destroying: "destroying", preempted: "preempted",
};

/** The fields few containers need, with their defaults. */
interface ContainerExtra {
  /** null: charged exactly its resources. */
  charged: Resources | null;
  bindings: VolumeBinding[];
  exitCode: number;
  message: string;
  orphan: boolean;
  lastError: string;
  reasons: Record<string, number>;
  evictedFrom: string;
  preemptedBy: string;
  move: string;
  moveBlocked: string;
  moveTo: string;
}

export class ContainerRec {
  agent = ""; // "" while pending
  ports: PortBinding[] = NO_PORTS;
  /** "preempted": taken off its agent for a more important container, waiting to be placed again. */
  state: ContainerRecState = "pending";
  pid = 0;
  startedAt = 0;
  grantedAt = 0;
  /** Last reported usage (null: none, or all zero). Updated in place. */
  usage: Usage | null = null;
  private res: Resources;
  private x: ContainerExtra | null = null;

  constructor(
    readonly id: string,
    readonly group: string,
    readonly index: number,
    resources: Resources,
  ) {
    this.res = resources;
  }

  /** What it asks for (the group's per-container resources). */
  get resources(): Resources {
    return this.res;
  }
  set resources(r: Resources) {
    // A placed container keeps what it was charged: pin it before the default (its resources) changes.
    if (this.agent && !this.x?.charged && r !== this.res) this.extra().charged = this.res;
    this.res = r;
  }

  /** Takes the run state of another record of the same container (a leaving copy, or the copy a move undoes). */
  takeRunState(from: ContainerRec): void {
    this.state = from.state;
    this.pid = from.pid;
    this.startedAt = from.startedAt;
    this.grantedAt = from.grantedAt;
  }

  /** What it is charged on its agent (exclusive volumes at their device's full size). */
  get charged(): Resources {
    return this.x?.charged ?? this.res;
  }
  set charged(r: Resources) {
    if (!sameResources(r, this.res)) this.extra().charged = r;
    else if (this.x) (this.x.charged = null), this.trim();
  }

  /** Exclusive volumes: the devices they took. */
  get bindings(): VolumeBinding[] {
    return this.x?.bindings ?? NO_BINDINGS;
  }
  set bindings(b: VolumeBinding[]) {
    this.put("bindings", b.length > 0 ? b : NO_BINDINGS);
  }

  get exitCode(): number {
    return this.x?.exitCode ?? 0;
  }
  set exitCode(n: number) {
    this.put("exitCode", n);
  }

  get message(): string {
    return this.x?.message ?? "";
  }
  set message(m: string) {
    this.put("message", m);
  }

  /** Reported by an agent for a group ResMan does not know yet: held, as if requested, until the group appears. */
  get orphan(): boolean {
    return this.x?.orphan ?? false;
  }
  set orphan(o: boolean) {
    this.put("orphan", o);
  }

  /** While pending: why the last pass did not place it... */
  get lastError(): string {
    return this.x?.lastError ?? "";
  }
  set lastError(e: string) {
    this.put("lastError", e);
  }

  /** ...and the count per reason. */
  get reasons(): Record<string, number> {
    return this.x?.reasons ?? NO_REASONS;
  }
  set reasons(r: Record<string, number>) {
    this.put("reasons", isEmpty(r) ? NO_REASONS : r);
  }

  /** The agent it was deliberately taken off (preempted, drained, moved): never adopted back from that agent's report. */
  get evictedFrom(): string {
    return this.x?.evictedFrom ?? "";
  }
  set evictedFrom(a: string) {
    this.put("evictedFrom", a);
  }

  get preemptedBy(): string {
    return this.x?.preemptedBy ?? "";
  }
  set preemptedBy(g: string) {
    this.put("preemptedBy", g);
  }

  /** Placed online and misplaced (its agent drains, lost a label, changed pool): why it should move (core-moves.ts). */
  get move(): string {
    return this.x?.move ?? "";
  }
  set move(m: string) {
    this.put("move", m);
  }

  /** A rebalance move's target agent (resman/rebalance.ts): kept while the container is pending, cleared when placed. */
  get moveTo(): string {
    return this.x?.moveTo ?? "";
  }
  set moveTo(to: string) {
    this.put("moveTo", to);
  }

  /** With move: why no other agent could take a replacement on the last look ("" when one could). */
  get moveBlocked(): string {
    return this.x?.moveBlocked ?? "";
  }
  set moveBlocked(m: string) {
    this.put("moveBlocked", m);
  }

  /**
   * Takes what an agent reports about it, allocating nothing that outlives the report. Returns what changed that a
   * hint shows: "hint" (state, pid, start, message, exit code), "usage" (only usage), "" (nothing).
   */
  applyReport(r: ContainerReport): ReportChange {
    const state = r.state ? (STATES[r.state] ?? (r.state as ContainerRecState)) : "running";
    const changed = state !== this.state || r.pid !== this.pid || r.startedAt !== this.startedAt || r.message !== this.message ||
      r.exitCode !== this.exitCode;
    if (changed) {
      this.state = state;
      this.pid = r.pid;
      this.startedAt = r.startedAt;
      this.message = r.message;
      this.exitCode = r.exitCode;
    }
    const usage = this.setUsage(r.usage);
    return changed ? "hint" : usage ? "usage" : "";
  }

  /** Returns whether the usage changed. */
  private setUsage(u: Usage | null): boolean {
    const own = this.usage;
    if (!u || (u.at === 0 && u.millicores === 0 && u.memoryRss === 0 && u.memoryCache === 0 && u.disk === 0)) {
      this.usage = null;
      return own !== null;
    }
    if (!own) {
      this.usage = { millicores: u.millicores, memoryRss: u.memoryRss, memoryCache: u.memoryCache, disk: u.disk, at: u.at };
      return true;
    }
    if (own.millicores === u.millicores && own.memoryRss === u.memoryRss && own.memoryCache === u.memoryCache && own.disk === u.disk && own.at === u.at) return false;
    own.millicores = u.millicores;
    own.memoryRss = u.memoryRss;
    own.memoryCache = u.memoryCache;
    own.disk = u.disk;
    own.at = u.at;
    return true;
  }

  private put<K extends keyof ContainerExtra>(key: K, v: ContainerExtra[K]): void {
    if (this.x) {
      this.x[key] = v;
      if (v === EXTRA_DEFAULTS[key]) this.trim();
    } else if (v !== EXTRA_DEFAULTS[key]) this.extra()[key] = v;
  }

  private extra(): ContainerExtra {
    return (this.x ??= { ...EXTRA_DEFAULTS });
  }

  /** Drops the side record once every field in it is back at its default. */
  private trim(): void {
    const x = this.x;
    if (!x) return;
    for (const k in EXTRA_DEFAULTS) if (x[k as keyof ContainerExtra] !== EXTRA_DEFAULTS[k as keyof ContainerExtra]) return;
    this.x = null;
  }
}

const EXTRA_DEFAULTS: Readonly<ContainerExtra> = Object.freeze({
  charged: null, bindings: NO_BINDINGS, exitCode: 0, message: "", orphan: false, lastError: "", reasons: NO_REASONS,
  evictedFrom: "", preemptedBy: "", move: "", moveBlocked: "", moveTo: "",
});

export function sameResources(a: Resources, b: Resources): boolean {
  return a === b || (a.millicores === b.millicores && a.memory === b.memory && a.disk === b.disk && a.ssd === b.ssd);
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
