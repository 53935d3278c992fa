// The rebalancer's search state (rebalance.ts): each agent's sums over the points and its cost, changed in place by
// moves, and the steps that try them (relieve, swap, close, open). Every move kept is valid; see rebalance.ts.
import { seededRandom } from "./random.ts";
import { RankIndex } from "./rebalance-rank.ts";
import type { RebalanceMove, RebalanceProblem, RebalanceStats } from "./rebalance-types.ts";

const EPS = 1e-9;
/** Ranked targets checked exactly per relieve. */
const RANKED_CHECKS = 6;
/** A kind's factors not made yet (an empty array keeps the list of one type). */
const NONE = new Float64Array(0);

/** The agents' sums and costs, changed in place by moves. */
export class SearchState {
  readonly agentOf: Int32Array;
  readonly moves: RebalanceMove[] = [];
  tries = 0;
  /** Simulated annealing: a worse move of d is taken with probability exp(-d / temperature) (0: never). */
  temperature = 0;
  stats: RebalanceStats = { relieve: 0, swap: 0, close: 0, open: 0, openTried: 0, closeTried: 0 };
  private readonly points: number;
  private readonly cpuSum: Float64Array[];
  private readonly memSum: Float64Array[];
  private readonly scalarSum: Float64Array[];
  private readonly cost: Float64Array;
  /** Peaks over the points of each agent's sums, and of each kind's curves: quick answers before the loops. */
  private readonly cpuPeak: Float64Array;
  private readonly memPeak: Float64Array;
  private readonly kindCpuPeak: Float64Array;
  private readonly kindMemPeak: Float64Array;
  /** Per agent, e^(u_t - target) at each point (kept by notePeaks); per kind and agent size, e^(c_t / cpu). */
  private readonly expU: Float64Array[];
  private readonly kindFactors: Float64Array[];
  private readonly kindInverse: Float64Array[];
  /** Agents by cpu size (a class per distinct size): a kind's factors are made once per size. */
  private readonly capClass: Int32Array;
  private readonly capClasses: number;
  private readonly counts: Map<number, number>[];
  private readonly itemsOn: number[][];
  /** Agents in use, and each one's index in `used` (-1: unused). */
  readonly used: number[] = [];
  private readonly usedAt: Int32Array;
  /** Kinds that limit a kind where they run: kind -> [{kind: A, k}] for rules <A, this, k>. */
  private readonly limitedBy: { kind: number; k: number }[][];
  private readonly rand: () => number;
  private readonly unusedBySize: number[];
  /** Each item's kind, and 1 when it may move (the items' fields in arrays: the search reads them most). */
  private readonly kindOf: Int32Array;
  private readonly movable: Uint8Array;
  private readonly kindCpuMin: Float64Array;
  private readonly kindMemMin: Float64Array;
  private readonly capCpu: Float64Array;
  private readonly capMem: Float64Array;
  /** The target index and the agents it finds coolest, when targets are ranked. */
  private readonly rank: RankIndex | undefined;
  private cool: number[] = [];
  private readonly topAgent = new Int32Array(RANKED_CHECKS);
  private readonly topScore = new Float64Array(RANKED_CHECKS);

  constructor(private readonly p: RebalanceProblem, seed: number, private readonly coolCount = 0) {
    this.rand = seededRandom(seed);
    this.points = p.kinds[0]?.cpu.length ?? 1;
    const n = p.agents.length;
    const dims = p.agents[0]?.scalars.length ?? 0;
    this.cpuSum = Array.from({ length: n }, () => new Float64Array(this.points));
    this.memSum = Array.from({ length: n }, () => new Float64Array(this.points));
    this.scalarSum = Array.from({ length: n }, () => new Float64Array(dims));
    this.cost = new Float64Array(n);
    this.expU = p.agents.map((a) => new Float64Array(this.points).fill(Math.exp(-a.target)));
    const sizes = [...new Set(p.agents.map((a) => a.cpu))];
    this.capClasses = Math.max(1, sizes.length);
    this.capClass = Int32Array.from(p.agents, (a) => sizes.indexOf(a.cpu));
    this.kindFactors = new Array<Float64Array>(p.kinds.length * this.capClasses).fill(NONE);
    this.kindInverse = new Array<Float64Array>(p.kinds.length * this.capClasses).fill(NONE);
    this.cpuPeak = new Float64Array(n);
    this.memPeak = new Float64Array(n);
    this.kindCpuPeak = Float64Array.from(p.kinds, (k) => Math.max(...k.cpu));
    this.kindMemPeak = Float64Array.from(p.kinds, (k) => Math.max(...k.memory));
    this.counts = Array.from({ length: n }, () => new Map());
    this.itemsOn = Array.from({ length: n }, () => []);
    this.usedAt = new Int32Array(n).fill(-1);
    this.agentOf = Int32Array.from(p.items, (it) => it.agent);
    this.kindOf = Int32Array.from(p.items, (it) => it.kind);
    this.movable = Uint8Array.from(p.items, (it) => (it.movable ? 1 : 0));
    this.kindCpuMin = Float64Array.from(p.kinds, (k) => Math.min(...k.cpu));
    this.kindMemMin = Float64Array.from(p.kinds, (k) => Math.min(...k.memory));
    this.capCpu = Float64Array.from(p.agents, (a) => a.cpu);
    this.capMem = Float64Array.from(p.agents, (a) => a.memory);
    if (coolCount > 0) {
      const counts = new Float64Array(p.kinds.length);
      for (const it of p.items) if (it.movable) counts[it.kind]! += 1;
      this.rank = new RankIndex(p.kinds.map((k) => k.cpu), counts, this.capCpu, p.weight, this.points);
      for (let a = 0; a < n; a++) this.rank.update(a, this.expU[a]!);
    }
    this.limitedBy = p.kinds.map(() => []);
    p.kinds.forEach((k, a) => k.anti.forEach((r) => this.limitedBy[r.kind]!.push({ kind: a, k: r.k })));
    p.items.forEach((it, i) => { if (it.agent >= 0) this.add(i, it.agent); });
    for (let a = 0; a < n; a++) this.cost[a] = this.itemsOn[a]!.length ? this.costOf(a, -1, 0) : 0;
    this.unusedBySize = [...Array(n).keys()].filter((a) => p.agents[a]!.open).sort((x, y) => p.agents[y]!.cpu - p.agents[x]!.cpu);
  }

  total(): number {
    let t = 0;
    for (let a = 0; a < this.cost.length; a++) t += this.cost[a]!;
    return t;
  }

  /** The agent's cost with `sign` x one container of `kind` (kind -1: as it is). */
  costOf(a: number, kind: number, sign: number): number {
    const ag = this.p.agents[a]!;
    if (kind >= 0 && sign > 0 && this.cpuPeak[a]! + this.kindCpuPeak[kind]! <= ag.target * ag.cpu) return 1;
    if (kind >= 0 && sign < 0 && this.cost[a]! <= 1) return 1;
    // e^(u_t - target) of the agent as it is, times a container's factor when one arrives or leaves: above the
    // target exactly where it is above 1 (no sums to read)
    const e = this.expU[a]!;
    let over = 0;
    if (kind < 0) {
      for (let t = 0; t < this.points; t++) { const x = e[t]!; if (x > 1) over += x - 1; }
    } else {
      const f = sign > 0 ? this.factors(kind, a) : this.inverse(kind, a);
      for (let t = 0; t < this.points; t++) { const x = e[t]! * f[t]!; if (x > 1) over += x - 1; }
    }
    return 1 + (this.p.weight * over) / this.points;
  }

  /** Whether one more of `kind` fits on agent `a` (capacity at every point, scalars, max_per_host, anti-affinity). */
  fits(a: number, kind: number): boolean {
    return this.fitsSwap(a, kind, -1);
  }

  /** Whether one more of `kind` fits on agent `a` once one container of kind `out` left it (-1: none leaves). */
  fitsSwap(a: number, kind: number, out: number): boolean {
    const ag = this.p.agents[a]!;
    if (!ag.open) return false;
    const k = this.p.kinds[kind]!;
    if (k.only && !k.only[a]) return false;
    const counts = this.counts[a]!;
    const mine = counts.get(kind) ?? 0; // (a swap is between two kinds: `out` is never `kind`)
    if (k.maxPerHost > 0 && mine + 1 > k.maxPerHost) return false;
    const limits = this.limitedBy[kind]!;
    for (let x = 0; x < limits.length; x++) {
      const r = limits[x]!;
      if (r.kind !== kind && mine + 1 > r.k && (counts.get(r.kind) ?? 0) - (r.kind === out ? 1 : 0) > 0) return false;
    }
    if (mine === 0) {
      for (let x = 0; x < k.anti.length; x++) {
        const r = k.anti[x]!;
        if (r.kind !== kind && (counts.get(r.kind) ?? 0) - (r.kind === out ? 1 : 0) > r.k) return false;
      }
    }
    const ss = this.scalarSum[a]!;
    const o = out >= 0 ? this.p.kinds[out]! : null;
    for (let d = 0; d < k.scalars.length; d++) if (ss[d]! + k.scalars[d]! - (o ? o.scalars[d]! : 0) > ag.scalars[d]! + 1e-6) return false;
    const outCpu = o ? this.kindCpuMin[out]! : 0, outMem = o ? this.kindMemMin[out]! : 0; // at any point, at least this leaves
    if (this.cpuPeak[a]! + this.kindCpuPeak[kind]! - outCpu <= ag.cpu && this.memPeak[a]! + this.kindMemPeak[kind]! - outMem <= ag.memory) return true;
    const cs = this.cpuSum[a]!, ms = this.memSum[a]!;
    if (o) {
      for (let t = 0; t < this.points; t++) {
        if (cs[t]! + k.cpu[t]! - o.cpu[t]! > ag.cpu + 1e-6 || ms[t]! + k.memory[t]! - o.memory[t]! > ag.memory + 1e-6) return false;
      }
      return true;
    }
    for (let t = 0; t < this.points; t++) {
      if (cs[t]! + k.cpu[t]! > ag.cpu + 1e-6 || ms[t]! + k.memory[t]! > ag.memory + 1e-6) return false;
    }
    return true;
  }

  /** The agent's cost once one container of kind `out` left it and one of kind `inn` arrived. */
  private costSwap(a: number, inn: number, out: number): number {
    const e = this.expU[a]!, fi = this.factors(inn, a), fo = this.inverse(out, a);
    let over = 0;
    for (let t = 0; t < this.points; t++) { const x = e[t]! * fi[t]! * fo[t]!; if (x > 1) over += x - 1; }
    return 1 + (this.p.weight * over) / this.points;
  }

  private leaveDelta(a: number, i: number): number {
    return this.itemsOn[a]!.length === 1 ? -this.cost[a]! : this.costOf(a, this.kindOf[i]!, -1) - this.cost[a]!;
  }

  private arriveDelta(b: number, kind: number): number {
    return this.costOf(b, kind, 1) - this.cost[b]!;
  }

  /** Moves item i to agent b (the caller checked it fits), recording the move. */
  move(i: number, b: number): void {
    const a = this.agentOf[i]!;
    this.remove(i, a);
    this.add(i, b);
    this.agentOf[i] = b;
    this.cost[a] = this.itemsOn[a]!.length ? this.costOf(a, -1, 0) : 0;
    this.cost[b] = this.costOf(b, -1, 0);
    this.moves.push({ item: i, from: a, to: b });
  }

  private add(i: number, a: number): void {
    const k = this.p.kinds[this.kindOf[i]!]!;
    const cs = this.cpuSum[a]!, ms = this.memSum[a]!, ss = this.scalarSum[a]!;
    for (let t = 0; t < this.points; t++) { cs[t] = cs[t]! + k.cpu[t]!; ms[t] = ms[t]! + k.memory[t]!; }
    for (let d = 0; d < k.scalars.length; d++) ss[d] = ss[d]! + k.scalars[d]!;
    this.notePeaks(a);
    const counts = this.counts[a]!;
    counts.set(this.kindOf[i]!, (counts.get(this.kindOf[i]!) ?? 0) + 1);
    this.itemsOn[a]!.push(i);
    if (this.usedAt[a] === -1) {
      this.usedAt[a] = this.used.length;
      this.used.push(a);
    }
  }

  private remove(i: number, a: number): void {
    const kind = this.kindOf[i]!;
    const k = this.p.kinds[kind]!;
    const cs = this.cpuSum[a]!, ms = this.memSum[a]!, ss = this.scalarSum[a]!;
    for (let t = 0; t < this.points; t++) { cs[t] = cs[t]! - k.cpu[t]!; ms[t] = ms[t]! - k.memory[t]!; }
    for (let d = 0; d < k.scalars.length; d++) ss[d] = ss[d]! - k.scalars[d]!;
    const counts = this.counts[a]!;
    const n = counts.get(kind)! - 1;
    if (n === 0) counts.delete(kind);
    else counts.set(kind, n);
    const on = this.itemsOn[a]!;
    const at = on.indexOf(i);
    on[at] = on[on.length - 1]!;
    on.pop();
    if (on.length === 0) {
      cs.fill(0); ms.fill(0); ss.fill(0); // no float dust on an empty agent
      const at2 = this.usedAt[a]!;
      const last = this.used.pop()!;
      if (last !== a) { this.used[at2] = last; this.usedAt[last] = at2; }
      this.usedAt[a] = -1;
    }
    this.notePeaks(a);
  }

  /** e^(c_t / cap) of a kind's curve on agents of `cap` cpu (exp(a + b) = exp(a) exp(b): a try multiplies). */
  private factors(kind: number, a: number): Float64Array {
    const at = kind * this.capClasses + this.capClass[a]!;
    const f = this.kindFactors[at]!;
    return f.length ? f : this.makeFactors(kind, a, at, 1);
  }

  /** e^(-c_t / cap): what one of `kind` leaving multiplies e^(u_t - target) by (a multiplication, not a division). */
  private inverse(kind: number, a: number): Float64Array {
    const at = kind * this.capClasses + this.capClass[a]!;
    const f = this.kindInverse[at]!;
    return f.length ? f : this.makeFactors(kind, a, at, -1);
  }

  private makeFactors(kind: number, a: number, at: number, sign: number): Float64Array {
    const cap = this.p.agents[a]!.cpu, c = this.p.kinds[kind]!.cpu, f = new Float64Array(c.length);
    for (let t = 0; t < c.length; t++) f[t] = Math.exp((sign * c[t]!) / cap);
    (sign > 0 ? this.kindFactors : this.kindInverse)[at] = f;
    return f;
  }

  private notePeaks(a: number): void {
    const cs = this.cpuSum[a]!, ms = this.memSum[a]!, e = this.expU[a]!;
    const ag = this.p.agents[a]!;
    let c = 0, m = 0;
    for (let t = 0; t < this.points; t++) {
      if (cs[t]! > c) c = cs[t]!;
      if (ms[t]! > m) m = ms[t]!;
      e[t] = Math.exp(cs[t]! / ag.cpu - ag.target);
    }
    this.rank?.update(a, e);
    this.cpuPeak[a] = c;
    this.memPeak[a] = m;
  }

  private pickUsed(): number {
    return this.used[Math.floor(this.rand() * this.used.length)]!;
  }

  /** One container off a random agent above its target, to the best ranked (or sampled) agent in use, else swapped. */
  relieve(sample: number): void {
    const a = this.pickUsed();
    if (this.cost[a]! <= 1 + EPS) return;
    const on = this.itemsOn[a]!;
    const i = on[Math.floor(this.rand() * on.length)]!;
    if (!this.movable[i]) return;
    let best = this.temperature > 0 ? this.temperature * Math.log(1 / Math.max(1e-12, this.rand())) : -EPS, bestTo = -1;
    const kind = this.kindOf[i]!;
    const leave = this.leaveDelta(a, i);
    const ranked = this.rank !== undefined;
    const n = ranked ? this.rankTargets(a, kind) : sample;
    for (let s = 0; s < n; s++) {
      const b = ranked ? this.topAgent[s]! : this.pickUsed();
      if (b === a) continue;
      this.tries++;
      const d = leave + this.arriveDelta(b, kind);
      if (d < best && this.fits(b, kind)) { best = d; bestTo = b; }
    }
    if (bestTo >= 0) { this.move(i, bestTo); this.stats.relieve++; return; }
    this.trySwap(i, sample * 2); // swaps are where a full agent still improves (Tianchi: 6,167 with sample / 4 tries, 6,114 with 2 x sample, same rounds)
  }

  /** The agents in use the index finds coolest for a typical container, refreshed each round. */
  noteCool(): void {
    const rank = this.rank;
    if (!rank) return;
    const heat = Float64Array.from(this.used, (a) => rank.heat(a));
    const order = [...this.used.keys()].sort((x, y) => heat[x]! - heat[y]!);
    this.cool = order.slice(0, this.coolCount).map((x) => this.used[x]!);
  }

  /** The cool agents (not `a`) the index says take one of `kind` for least, best first, RANKED_CHECKS at most. */
  private rankTargets(a: number, kind: number): number {
    const rank = this.rank!, cool = this.cool, top = this.topAgent, score = this.topScore;
    const cmin = this.kindCpuMin[kind]!, mmin = this.kindMemMin[kind]!;
    let n = 0;
    for (let x = 0; x < cool.length; x++) {
      const b = cool[x]!;
      // where b is fullest, one more needs at least the kind's least: a cheap proof that it cannot fit
      if (b === a || this.memPeak[b]! + mmin > this.capMem[b]! + 1e-6 || this.cpuPeak[b]! + cmin > this.capCpu[b]! + 1e-6) continue;
      const s = rank.score(kind, b);
      if (n === RANKED_CHECKS && s >= score[n - 1]!) continue;
      let at = n < RANKED_CHECKS ? n++ : n - 1;
      while (at > 0 && score[at - 1]! > s) { score[at] = score[at - 1]!; top[at] = top[at - 1]!; at--; }
      score[at] = s;
      top[at] = b;
    }
    return n;
  }

  /** Swaps item i with a container of another kind on a sampled agent, when that lowers the total. */
  private trySwap(i: number, sample: number): void {
    const a = this.agentOf[i]!;
    const before0 = this.cost[a]!;
    for (let s = 0; s < sample; s++) {
      const b = this.pickUsed();
      if (b === a) continue;
      const onB = this.itemsOn[b]!;
      const j = onB[Math.floor(this.rand() * onB.length)]!;
      if (!this.movable[j] || this.kindOf[j]! === this.kindOf[i]!) continue;
      this.tries++;
      const ki = this.kindOf[i]!, kj = this.kindOf[j]!;
      const da = this.costSwap(a, kj, ki) - before0, cb = this.cost[b]!;
      if (da + 1 - cb >= -EPS) continue; // b's cost cannot fall below 1: nothing there makes up for a's rise
      const d = da + this.costSwap(b, ki, kj) - cb;
      if (d >= -EPS || !this.fitsSwap(a, kj, ki) || !this.fitsSwap(b, ki, kj)) continue;
      this.move(i, b);
      this.move(j, a);
      this.stats.swap++;
      return;
    }
  }

  /** Takes back the last move (item i returns to agent `to`). */
  private undo(i: number, to: number): void {
    this.move(i, to);
    this.moves.length -= 2;
  }

  /** Tries to empty a lightly used agent into the others; kept when the total falls. */
  close(sample: number): void {
    let a = this.pickUsed();
    for (let s = 0; s < 4; s++) { const b = this.pickUsed(); if (this.load(b) < this.load(a)) a = b; }
    const items = [...this.itemsOn[a]!];
    if (items.some((i) => !this.movable[i])) return;
    const mark = this.moves.length;
    const start = this.total();
    for (const i of items) {
      let best = Infinity, bestTo = -1;
      for (let s = 0; s < sample * 2; s++) {
        const b = this.pickUsed();
        if (b === a) continue;
        this.tries++;
        const d = this.fits(b, this.kindOf[i]!) ? this.arriveDelta(b, this.kindOf[i]!) : Infinity;
        if (d < best) { best = d; bestTo = b; }
      }
      if (bestTo < 0) break;
      this.move(i, bestTo);
    }
    this.stats.closeTried++;
    if (this.itemsOn[a]!.length === 0 && this.total() < start - EPS) { this.stats.close++; return; }
    this.rollback(mark);
  }

  /**
   * An unused agent (the largest first) takes containers off the hottest sampled agents, those that relieve most per
   * share of its room first (memory often binds: a small agent takes few memory-heavy containers); kept when the
   * total falls, opening included.
   */
  open(hotCount: number): void {
    const b = this.unusedBySize.find((x) => this.usedAt[x] === -1);
    if (b === undefined) return;
    const bag = this.p.agents[b]!;
    const cands: { i: number; score: number }[] = [];
    for (const a of this.hottest(hotCount)) {
      for (const i of this.itemsOn[a]!) {
        const it = this.p.items[i]!;
        if (!it.movable || this.itemsOn[a]!.length === 1) continue;
        const gain = -this.leaveDelta(a, i);
        if (gain <= EPS) continue;
        const share = this.kindMemPeak[it.kind]! / bag.memory + this.kindCpuPeak[it.kind]! / (bag.target * bag.cpu);
        cands.push({ i, score: gain / share });
      }
    }
    cands.sort((x, y) => y.score - x.score);
    const mark = this.moves.length;
    const start = this.total();
    for (const { i } of cands) {
      const kind = this.kindOf[i]!;
      if (!this.fits(b, kind)) continue;
      const arrive = this.itemsOn[b]!.length === 0 ? this.costOf(b, kind, 1) - 1 : this.arriveDelta(b, kind);
      if (this.leaveDelta(this.agentOf[i]!, i) + arrive < -EPS) this.move(i, b);
    }
    this.stats.openTried++;
    if (this.total() < start - EPS) { this.stats.open++; return; }
    this.rollback(mark);
  }

  private hottest(n: number): number[] {
    const picks: number[] = [];
    for (let s = 0; s < n * 4; s++) picks.push(this.pickUsed());
    return [...new Set(picks)].sort((x, y) => this.cost[y]! - this.cost[x]!).slice(0, n).filter((a) => this.cost[a]! > 1 + EPS);
  }

  private load(a: number): number {
    let max = 0;
    const cs = this.cpuSum[a]!;
    for (let t = 0; t < this.points; t++) if (cs[t]! > max) max = cs[t]!;
    return max / this.p.agents[a]!.cpu;
  }

  /** Undoes the moves after `mark`, newest first. */
  private rollback(mark: number): void {
    while (this.moves.length > mark) {
      const m = this.moves[this.moves.length - 1]!;
      this.move(m.item, m.from);
      this.moves.length -= 2;
    }
  }
}
