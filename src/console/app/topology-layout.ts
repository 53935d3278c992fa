// Pure: where each agent's cell sits on the topology canvas, which cell a point is in, and a fake fleet for trying
// the view at scale (#/topology?fake=10000). One canvas draws every cell, so 10,000 agents cost 10,000 fillRects.
import type { AgentLoad } from "./model.ts";
import { ratio } from "./model.ts";
import type { AgentStatus } from "./types.ts";

export interface Layout { cols: number; rows: number; cell: number; gap: number; width: number; height: number }

/** Square cells filling `width`: big for a few agents (40 px), down to 6 px (1 px gaps) for tens of thousands. */
export function layout(n: number, width: number): Layout {
  const w = Math.max(100, width);
  const target = Math.sqrt((w * Math.max(400, Math.min(900, w * 0.6))) / Math.max(1, n));
  const cell = Math.max(6, Math.min(40, Math.floor(target)));
  const gap = cell >= 16 ? 3 : 1;
  const cols = Math.max(1, Math.floor((w + gap) / (cell + gap)));
  const rows = Math.ceil(n / cols);
  return { cols, rows, cell, gap, width: w, height: Math.max(cell, rows * (cell + gap) - gap) };
}

export function cellRect(l: Layout, i: number): { x: number; y: number } {
  return { x: (i % l.cols) * (l.cell + l.gap), y: Math.floor(i / l.cols) * (l.cell + l.gap) };
}

/** The index of the cell under (x, y), or -1 (a gap, or past the last agent). */
export function cellAt(l: Layout, n: number, x: number, y: number): number {
  const step = l.cell + l.gap;
  const c = Math.floor(x / step);
  const r = Math.floor(y / step);
  if (x < 0 || y < 0 || c >= l.cols || x - c * step >= l.cell || y - r * step >= l.cell) return -1;
  const i = r * l.cols + c;
  return i < n ? i : -1;
}

export function loadOfAgent(a: AgentStatus): AgentLoad {
  const t = a.info.total;
  const s = a.assigned;
  return { state: a.state, cpu: ratio(s?.millicores ?? 0, t?.millicores ?? 0), mem: ratio(s?.memory ?? 0, t?.memory ?? 0), disk: ratio(s?.disk ?? 0, t?.disk ?? 0) };
}

/** n made-up agents (a fixed pseudo-random fleet: a few dead, offline, draining; loads spread over 0..1). */
export function fakeAgents(n: number): AgentStatus[] {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const G = 1024 ** 3;
  return Array.from({ length: n }, (_, i) => {
    const r = rnd();
    const state = r < 0.01 ? "dead" : r < 0.03 ? "offline" : r < 0.05 ? "draining" : "alive";
    const total = { millicores: 32000, memory: 128 * G, disk: 2000 * G, ssd: 0 };
    const u = rnd();
    return {
      info: { endpoint: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:1646`, pool: i % 5 === 0 ? "batch" : "default", labels: i % 7 === 0 ? ["ssd"] : [], total, hostname: `node${i}` },
      state, lastHeartbeat: 0, containers: Math.floor(u * 40), pressure: false, drain: "",
      assigned: { millicores: Math.floor(u * 32000), memory: Math.floor(rnd() * u * 128 * G), disk: Math.floor(rnd() * 500 * G), ssd: 0 },
      used: null,
    };
  });
}
