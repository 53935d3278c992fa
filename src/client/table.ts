// Table rendering for listings: aligned columns fitted to the terminal, colour only on a TTY (never with NO_COLOR).
import chalk from "chalk";

export interface TableOptions {
  width?: number;
  color?: boolean;
}

export function useColor(): boolean {
  return !!process.stdout.isTTY && !process.env.NO_COLOR;
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, "").length;

let wide = false;

/** -o wide: tables are never cut to the terminal's width (set once per command run). */
export function setWideTables(on: boolean): boolean {
  wide = on;
  return on;
}

/** Renders rows under headers; the widest columns are truncated with … when the table exceeds the width. */
export function renderTable(headers: string[], rows: string[][], opts: TableOptions = {}): string {
  const width = opts.width ?? (wide ? Infinity : process.stdout.columns || 160);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ""))));
  let total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total > width) {
    const i = widths.indexOf(Math.max(...widths));
    if (widths[i]! <= 8) break;
    widths[i]!--;
    total--;
  }
  const cell = (s: string, w: number) => {
    const v = visible(s);
    if (v <= w) return s + " ".repeat(w - v);
    return s.replace(ANSI, "").slice(0, Math.max(0, w - 1)) + "…";
  };
  const line = (r: string[]) => r.map((c, i) => cell(c ?? "", widths[i]!)).join("  ").trimEnd();
  const head = opts.color ? chalk.bold(line(headers)) : line(headers);
  return [head, ...rows.map(line)].join("\n");
}

/** Colours a status word: running green, pending/deploying yellow, failed/lost red. */
export function colorStatus(s: string, color: boolean): string {
  if (!color) return s;
  if (["running", "alive", "finished"].includes(s)) return chalk.green(s);
  if (["pending", "deploying", "starting", "updating", "allocated", "creating", "update_paused", "offline", "draining", "destroying", "stopping"].includes(s)) return chalk.yellow(s);
  if (["failed", "lost", "dead", "degraded", "finished with failures"].includes(s)) return chalk.red(s);
  return s;
}

/** The widths of the first n columns of a rendered table, read from its header line. */
export function columnWidths(header: string, n: number): number[] {
  return [...header.replace(ANSI, "").matchAll(/\S+(?: \S+)*\s*/g)].slice(0, n).map((m) => m[0].length - 2);
}

/** A row printed under a table already shown (events -f): padded to its columns; a wider cell widens its column. */
export function followRow(widths: number[], row: string[]): string {
  row.slice(0, widths.length).forEach((c, i) => (widths[i] = Math.max(widths[i]!, visible(c))));
  return row.map((c, i) => (i < widths.length ? c + " ".repeat(widths[i]! - visible(c)) : c)).join("  ").trimEnd();
}
