// Small shared pieces: bars, badges, links, buttons that run an action and show the server's answer.
import { h, type ComponentChildren, type VNode as PVNode } from "preact";
import { useState } from "preact/hooks";
import { ratio } from "./model.ts";

export { h };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type VNode = PVNode<any>;

export const link = (href: string, text: ComponentChildren, cls = ""): VNode => h("a", { href, class: cls }, text);

export const jobHref = (id: string) => `#/job/${encodeURIComponent(id)}`;
export const podHref = (id: string) => `#/pod/${encodeURIComponent(id)}`;

const TONE: Record<string, string> = {
  running: "ok", alive: "ok", healthy: "ok", up: "ok", finished: "ok", active: "ok", done: "ok",
  deploying: "busy", starting: "busy", pending: "busy", updating: "busy", draining: "busy", placed: "busy",
  degraded: "warn", update_paused: "warn", paused: "warn", lost: "warn", offline: "idle", stopping: "idle", destroying: "idle",
  failed: "bad", dead: "bad", down: "bad", "finished with failures": "warn", terminated: "idle", cancelled: "idle",
};

export const badge = (state: string): VNode => h("span", { class: `badge ${TONE[state] ?? "idle"}`, "data-state": state }, state || "—");

/** A utilisation bar: `value` against `total` (solid), and `shade` (lighter, behind: e.g. what the host uses). */
export function bar(label: string, value: number, total: number, text: string, shade?: number): VNode {
  const u = ratio(value, total);
  const a = shade === undefined ? 0 : ratio(shade, total);
  const tone = u > 0.9 ? "bad" : u > 0.7 ? "warn" : "ok";
  return h("div", { class: "bar", title: `${label}: ${text}` },
    h("div", { class: "bar-track" },
      shade === undefined ? null : h("div", { class: "bar-shade", style: `width:${(a * 100).toFixed(1)}%` }),
      h("div", { class: `bar-fill ${tone}`, style: `width:${(u * 100).toFixed(1)}%` })),
    h("span", { class: "bar-text" }, text));
}

export const errorBox = (msg: string): VNode | null => (msg ? h("div", { class: "error", role: "alert" }, msg) : null);

export function section(title: string, ...body: ComponentChildren[]): VNode {
  return h("section", { class: "card" }, h("h2", null, title), ...body);
}

/**
 * A button that runs an action and shows what the server said: nothing on success (the live page shows the
 * change), the refusal's own sentence otherwise ("user bob may not update in pool default").
 */
export function ActionButton(p: { label: string; run: () => Promise<unknown>; danger?: boolean; onDone?: () => void }): VNode {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState("");
  const click = async () => {
    setBusy(true);
    setErr("");
    try {
      await p.run();
      p.onDone?.();
    } catch (e) {
      setErr((e as Error).message);
    }
    setBusy(false);
  };
  return h("span", { class: "action" },
    h("button", { class: p.danger ? "danger" : "", disabled: busy, onClick: () => void click(), "data-action": p.label }, p.label),
    err ? h("span", { class: "refused", role: "alert" }, err) : null);
}

export function table(head: ComponentChildren[], rows: VNode[], empty = "nothing here"): VNode {
  return h("table", null,
    h("thead", null, h("tr", null, head.map((c) => h("th", null, c)))),
    h("tbody", null, rows.length ? rows : h("tr", null, h("td", { colSpan: head.length, class: "muted" }, empty))));
}
