// The fleet at a glance: one cell per agent on one canvas, coloured by its fullest resource (assigned against total;
// grey: dead or offline; darker: draining). Hover names the agent; a click opens it on the agents page.
import { useEffect, useRef, useState } from "preact/hooks";
import { useLive } from "./api.ts";
import { heat, loadOf } from "./model.ts";
import { cellAt, cellRect, fakeAgents, layout, loadOfAgent, type Layout } from "./topology-layout.ts";
import type { AgentStatus } from "./types.ts";
import { errorBox, h } from "./ui.ts";

function draw(canvas: HTMLCanvasElement, agents: AgentStatus[], l: Layout): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(l.width * dpr);
  canvas.height = Math.round(l.height * dpr);
  canvas.style.width = `${l.width}px`;
  canvas.style.height = `${l.height}px`;
  const g = canvas.getContext("2d");
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, l.width, l.height);
  for (let i = 0; i < agents.length; i++) {
    const { x, y } = cellRect(l, i);
    g.fillStyle = heat(loadOfAgent(agents[i]!));
    g.fillRect(x, y, l.cell, l.cell);
  }
}

export function TopologyPage(p: { fake: number }) {
  const live = useLive(p.fake > 0 ? null : [{ to: "resman", method: "ListAgents" }],
    ([r]: [{ agents: AgentStatus[] }?]) => (r ? r.agents.sort((a, b) => a.info.pool.localeCompare(b.info.pool) || a.info.endpoint.localeCompare(b.info.endpoint)) : fakeAgents(p.fake)), [p.fake]);
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1000);
  const [hover, setHover] = useState<{ i: number; x: number; y: number } | null>(null);
  const agents = live.data ?? [];
  const l = layout(agents.length, width);
  useEffect(() => {
    const measure = () => box.current && setWidth(box.current.clientWidth);
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  }, []);
  useEffect(() => {
    if (canvas.current) draw(canvas.current, agents, l);
  }, [live.data, width]);
  const at = (e: MouseEvent) => {
    const r = (e.target as HTMLCanvasElement).getBoundingClientRect();
    return cellAt(l, agents.length, e.clientX - r.left, e.clientY - r.top);
  };
  const a = hover ? agents[hover.i] : undefined;
  const counts = new Map<string, number>();
  for (const x of agents) counts.set(x.state, (counts.get(x.state) ?? 0) + 1);
  return h("div", null,
    h("h1", null, "Topology"),
    errorBox(live.error),
    h("p", { class: "muted", "data-cells": String(agents.length) },
      `${agents.length} agents${p.fake ? " (made up)" : ""}: `, [...counts].map(([s, n]) => `${n} ${s}`).join(" · "),
      " · colour: the fullest of cpu, memory, disk assigned (green idle → red full; grey dead or offline)"),
    h("div", { class: "topology", ref: box },
      h("canvas", {
        ref: canvas, "data-topology": String(agents.length),
        onMouseMove: (e: MouseEvent) => { const i = at(e); setHover(i < 0 ? null : { i, x: e.offsetX, y: e.offsetY }); },
        onMouseLeave: () => setHover(null),
        onClick: (e: MouseEvent) => { const i = at(e); if (i >= 0 && !p.fake) location.hash = `#/agents?q=${encodeURIComponent(agents[i]!.info.endpoint)}`; },
      }),
      a && hover ? h("div", { class: "tip", style: `left:${hover.x + 14}px;top:${hover.y + 14}px`, "data-tip": a.info.endpoint },
        h("b", null, a.info.endpoint), h("div", null, `${a.info.pool} · ${a.state} · ${a.containers} containers`),
        h("div", null, `load ${Math.round(loadOf(loadOfAgent(a)) * 100)}%`), a.info.labels.length ? h("div", null, a.info.labels.join(", ")) : null) : null));
}
