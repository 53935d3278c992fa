// A small Prometheus registry: counters, gauges, histograms with fixed label names, and gauges computed at scrape
// time. Hot paths keep the child returned by labels(...) and call inc/set/observe on it (no lookup per call).
import { InternalError } from "../core/errors.ts";

export type MetricType = "counter" | "gauge" | "histogram";
export type Sample = { labels: Record<string, string>; value: number };

/** Latency buckets in seconds: 0.5 ms .. 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function labelText(names: readonly string[], values: readonly string[]): string {
  let s = "";
  for (let i = 0; i < names.length; i++) s += `${i ? "," : ""}${names[i]}="${escapeLabelValue(values[i] ?? "")}"`;
  return s;
}

function braces(text: string): string {
  return text ? `{${text}}` : "";
}

/** A metric with label names; children are created once per distinct label values and cached. */
abstract class Family<C> {
  private readonly children = new Map<string, C>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}
  protected abstract makeChild(labels: string): C;
  abstract render(out: string[]): void;

  /** The child for these label values (in labelNames order). Keep it: it is the cheap handle. */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new InternalError(`metric ${this.name} wants ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join("\u0000");
    let c = this.children.get(key);
    if (c === undefined) {
      c = this.makeChild(labelText(this.labelNames, values));
      this.children.set(key, c);
    }
    return c;
  }
  protected each(): IterableIterator<C> {
    return this.children.values();
  }
}

export class CounterChild {
  value = 0;
  constructor(readonly labelText: string) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter extends Family<CounterChild> {
  protected makeChild(labels: string): CounterChild {
    return new CounterChild(labels);
  }
  /** For a counter without labels. */
  inc(by = 1): void {
    this.labels().inc(by);
  }
  render(out: string[]): void {
    for (const c of this.each()) out.push(`${this.name}${braces(c.labelText)} ${formatValue(c.value)}`);
  }
}

export class GaugeChild {
  value = 0;
  constructor(readonly labelText: string) {}
  set(v: number): void {
    this.value = v;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

export class Gauge extends Family<GaugeChild> {
  protected makeChild(labels: string): GaugeChild {
    return new GaugeChild(labels);
  }
  set(v: number): void {
    this.labels().set(v);
  }
  inc(by = 1): void {
    this.labels().inc(by);
  }
  dec(by = 1): void {
    this.labels().dec(by);
  }
  render(out: string[]): void {
    for (const c of this.each()) out.push(`${this.name}${braces(c.labelText)} ${formatValue(c.value)}`);
  }
}

export class HistogramChild {
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labelText: string,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export class Histogram extends Family<HistogramChild> {
  constructor(name: string, help: string, labelNames: readonly string[], readonly bounds: readonly number[]) {
    super(name, help, labelNames);
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new InternalError(`histogram ${name}: buckets must increase`);
    }
  }
  protected makeChild(labels: string): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }
  observe(v: number): void {
    this.labels().observe(v);
  }
  render(out: string[]): void {
    for (const c of this.each()) {
      const sep = c.labelText ? "," : "";
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += c.counts[i]!;
        out.push(`${this.name}_bucket{${c.labelText}${sep}le="${formatValue(this.bounds[i]!)}"} ${cumulative}`);
      }
      out.push(`${this.name}_bucket{${c.labelText}${sep}le="+Inf"} ${c.count}`);
      out.push(`${this.name}_sum${braces(c.labelText)} ${formatValue(c.sum)}`);
      out.push(`${this.name}_count${braces(c.labelText)} ${c.count}`);
    }
  }
}

/** A metric whose samples are computed at scrape time (queue lengths, agents alive, ...). */
class Collected {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly fn: () => number | Sample[],
  ) {}
  render(out: string[]): void {
    const v = this.fn();
    if (typeof v === "number") {
      out.push(`${this.name} ${formatValue(v)}`);
      return;
    }
    for (const s of v) {
      const names = Object.keys(s.labels);
      const text = labelText(names, names.map((n) => s.labels[n]!));
      out.push(`${this.name}${braces(text)} ${formatValue(s.value)}`);
    }
  }
}

type Entry = { type: MetricType; metric: { name: string; help: string; render(out: string[]): void } };

export class MetricsRegistry {
  private readonly entries = new Map<string, Entry>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add("counter", new Counter(name, help, labelNames), labelNames);
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add("gauge", new Gauge(name, help, labelNames), labelNames);
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets = DEFAULT_BUCKETS): Histogram {
    return this.add("histogram", new Histogram(name, help, labelNames, buckets), labelNames);
  }

  /** A gauge (or counter) read from `fn` at every scrape; fn returns one value or labelled samples. */
  collect(name: string, help: string, fn: () => number | Sample[], type: "gauge" | "counter" = "gauge"): void {
    this.add(type, new Collected(name, help, fn), []);
  }

  /** The Prometheus text exposition format (version 0.0.4). A failing collect fn is skipped, not fatal. */
  render(): string {
    const out: string[] = [];
    for (const { type, metric } of this.entries.values()) {
      const body: string[] = [];
      try {
        metric.render(body);
      } catch (e) {
        console.error(`galaxy metrics: ${metric.name} failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      out.push(`# HELP ${metric.name} ${metric.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${metric.name} ${type}`);
      for (const line of body) out.push(line);
    }
    return out.length ? out.join("\n") + "\n" : "";
  }

  private add<M extends Entry["metric"]>(type: MetricType, metric: M, labelNames: readonly string[]): M {
    if (!NAME_RE.test(metric.name)) throw new InternalError(`bad metric name ${JSON.stringify(metric.name)}`);
    for (const l of labelNames) {
      if (!LABEL_RE.test(l) || l === "le") throw new InternalError(`bad label name ${JSON.stringify(l)} on ${metric.name}`);
    }
    if (this.entries.has(metric.name)) throw new InternalError(`metric ${metric.name} is already registered`);
    this.entries.set(metric.name, { type, metric });
    return metric;
  }
}
