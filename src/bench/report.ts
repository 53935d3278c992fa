// Rendering benchmark figures: one table per command, and each target's verdict (met / MISSED) beside its figure.
import { renderTable } from "../client/table.ts";

export interface Column<T> {
  header: string;
  value: (row: T) => string | number;
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  return renderTable(columns.map((c) => c.header), rows.map((r) => columns.map((c) => format(c.value(r)))), { width: 1000 });
}

export interface Target {
  name: string;
  /** The measured figure, as shown. */
  figure: string;
  goal: string;
  met: boolean;
  /** False when the run was smaller than the target's scale: the verdict is then only indicative. */
  atScale?: boolean;
}

export function targetsTable(targets: readonly Target[]): string {
  return table(targets, [
    { header: "TARGET", value: (t) => t.name },
    { header: "GOAL", value: (t) => t.goal },
    { header: "MEASURED", value: (t) => t.figure },
    { header: "VERDICT", value: (t) => (t.met ? "met" : "MISSED") + (t.atScale === false ? " (below target scale)" : "") },
  ]);
}

/** 12345.678 -> "12,346"; 0.1234 -> "0.123"; strings unchanged. */
export function format(v: string | number): string {
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString("en-US");
  if (Number.isInteger(v)) return String(v);
  return String(Math.round(v * 1000) / 1000);
}

export const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;
export const ms = (v: number): string => `${format(v)} ms`;
