// The rebalancer's target index (issue 18): which agents would take a container for least, ranked over every agent
// in use at the price of a few multiplications each, so a move looks at all of them instead of a random sample.
//
// A container of kind k arriving on agent b adds about  sum over t of c_k(t) * G_b(t)  to the cost, with G_b(t) the
// cost's slope at b's load at point t (a secant over a typical container, so an agent just below its target is not
// taken as free). Usage curves are much alike (Tianchi: 8 shapes hold 98.5% of their energy), so both sides are
// projected on the main shapes of the kinds' curves: c_k ~ sum_j alpha_kj phi_j, and the sum is alpha_k . beta_b
// with beta_bj = sum_t phi_j(t) G_b(t), kept per agent as it changes. Only a ranking: the search checks the best
// few exactly (cost and fit) before it moves anything.

/** Shapes kept (Tianchi: 8 hold 98.5% of the curves' energy). */
export const RANK_SHAPES = 8;

export class RankIndex {
  readonly shapes: number;
  /** shapes x points: the main shapes of the kinds' cpu curves, weighted by how many containers each kind has. */
  private readonly basis: Float64Array;
  /** kinds x shapes. */
  private readonly alpha: Float64Array;
  /** agents x shapes. */
  private readonly beta: Float64Array;
  private readonly grad: Float64Array;
  /** Per agent: e^(typical container / its cpu), and the slope's scale W / (points * typical container). */
  private readonly stepFactor: Float64Array;
  private readonly scale: number;

  constructor(
    curves: readonly Float64Array[],
    counts: ArrayLike<number>,
    agentCpu: ArrayLike<number>,
    weight: number,
    private readonly points: number,
    shapes = RANK_SHAPES,
  ) {
    this.shapes = Math.min(shapes, points);
    this.basis = mainShapes(curves, counts, points, this.shapes);
    this.alpha = new Float64Array(curves.length * this.shapes);
    let items = 0, mean = 0;
    curves.forEach((c, k) => {
      for (let j = 0; j < this.shapes; j++) {
        let s = 0;
        for (let t = 0; t < points; t++) s += this.basis[j * points + t]! * c[t]!;
        this.alpha[k * this.shapes + j] = s;
      }
      let avg = 0;
      for (let t = 0; t < points; t++) avg += c[t]! / points;
      items += counts[k]!;
      mean += counts[k]! * avg;
    });
    const typical = items > 0 && mean > 0 ? mean / items : 1;
    this.scale = weight / (points * typical);
    this.stepFactor = new Float64Array(agentCpu.length);
    for (let a = 0; a < agentCpu.length; a++) this.stepFactor[a] = agentCpu[a]! > 0 ? Math.exp(typical / agentCpu[a]!) : 1;
    this.beta = new Float64Array(agentCpu.length * this.shapes);
    this.grad = new Float64Array(points);
  }

  /** Agent a changed: `expU` holds e^(u_t - target) at each point. */
  update(a: number, expU: Float64Array): void {
    const g = this.grad, step = this.stepFactor[a]!, P = this.points;
    for (let t = 0; t < P; t++) {
      const e = expU[t]!;
      const after = e * step;
      g[t] = after <= 1 ? 0 : this.scale * (after - (e > 1 ? e : 1));
    }
    const S = this.shapes, at = a * S;
    for (let j = 0; j < S; j++) {
      let s = 0;
      const row = j * P;
      for (let t = 0; t < P; t++) s += this.basis[row + t]! * g[t]!;
      this.beta[at + j] = s;
    }
  }

  /** How hot agent a is for the main shape (its first). */
  heat(a: number): number {
    return this.beta[a * this.shapes]!;
  }

  /** About what one container of `kind` adds to agent a's cost. */
  score(kind: number, a: number): number {
    const S = this.shapes, ka = kind * S, ab = a * S;
    let s = 0;
    for (let j = 0; j < S; j++) s += this.alpha[ka + j]! * this.beta[ab + j]!;
    return s;
  }
}

/**
 * The `n` main shapes (unit vectors over the points) of the curves, each weighted by its count: the leading
 * eigenvectors of their second-moment matrix, by power iteration with deflation.
 */
export function mainShapes(curves: readonly Float64Array[], counts: ArrayLike<number>, points: number, n: number): Float64Array {
  const m = new Float64Array(points * points);
  curves.forEach((c, k) => {
    const w = counts[k]!;
    if (!w) return;
    for (let i = 0; i < points; i++) {
      const wi = w * c[i]!;
      if (wi === 0) continue;
      const row = i * points;
      for (let j = 0; j < points; j++) m[row + j] = m[row + j]! + wi * c[j]!;
    }
  });
  const out = new Float64Array(n * points);
  let v = new Float64Array(points);
  const w = new Float64Array(points);
  let first = 0;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < points; i++) v[i] = 1 + Math.sin((i + 1) * (k + 1)); // not orthogonal to any shape in practice
    let lambda = 0;
    for (let it = 0; it < 200; it++) {
      for (let i = 0; i < points; i++) {
        let s = 0;
        const row = i * points;
        for (let j = 0; j < points; j++) s += m[row + j]! * v[j]!;
        w[i] = s;
      }
      for (let j = 0; j < k; j++) { // against the shapes found: rounding would bring them back
        let d = 0;
        for (let i = 0; i < points; i++) d += w[i]! * out[j * points + i]!;
        for (let i = 0; i < points; i++) w[i] = w[i]! - d * out[j * points + i]!;
      }
      let norm = 0;
      for (let i = 0; i < points; i++) norm += w[i]! * w[i]!;
      norm = Math.sqrt(norm);
      if (norm < 1e-300) break;
      let moved = 0;
      for (let i = 0; i < points; i++) { const x = w[i]! / norm; moved += Math.abs(x - v[i]!); v[i] = x; }
      lambda = norm;
      if (moved < 1e-10) break;
    }
    if (lambda <= 1e-12 * first) break; // the curves span no more shapes: the rest stay 0
    if (k === 0) first = lambda;
    out.set(v, k * points);
    for (let i = 0; i < points; i++) for (let j = 0; j < points; j++) m[i * points + j] = m[i * points + j]! - lambda * v[i]! * v[j]!;
    v = new Float64Array(points);
  }
  return out;
}

