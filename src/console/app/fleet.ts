// Agents and pools: utilisation bars (cpu, memory, disk: assigned shaded, used solid, against the agent's total),
// labels, state, where a drain stands, and drain / offline / online for users with admin in the agent's pool.
// Cluster status: masters and their epochs, safe mode, agents by state, pools. All from ResMan, as the caller.
import { useState } from "preact/hooks";
import { rm, useLive } from "./api.ts";
import { ago, bytes, cores, mayAdminAgent, type Me } from "./model.ts";
import type { AgentStatus, PoolUsage, Status } from "./types.ts";
import { res, use } from "./types.ts";
import { ActionButton, badge, bar, errorBox, h, section, table } from "./ui.ts";

/** cpu, memory and disk: assigned (solid, what placement counts) against the total; what is used, shaded behind. */
export function usageBars(total: ReturnType<typeof res>, assigned: ReturnType<typeof res>, used: ReturnType<typeof use>) {
  return [
    h("td", null, bar("cpu", assigned.millicores, total.millicores, `${cores(assigned.millicores)} of ${cores(total.millicores)} cpu · ${cores(used.millicores)} used`, used.millicores)),
    h("td", null, bar("memory", assigned.memory, total.memory, `${bytes(assigned.memory)} of ${bytes(total.memory)} · ${bytes(used.memoryRss)} used`, used.memoryRss)),
    h("td", null, bar("disk", assigned.disk, total.disk, `${bytes(assigned.disk)} of ${bytes(total.disk)} · ${bytes(used.disk)} used`, used.disk)),
  ];
}

function agentRow(a: AgentStatus, me: Me, now: number) {
  const ep = a.info.endpoint;
  const act = (m: string) => () => rm(m, { endpoint: ep });
  const may = mayAdminAgent(me, a.info.pool);
  return h("tr", { "data-agent": ep, "data-agent-state": a.state },
    h("td", null, ep, a.info.hostname ? h("div", { class: "muted" }, a.info.hostname) : null),
    h("td", null, a.info.pool),
    h("td", null, badge(a.state), a.pressure ? h("span", { class: "badge warn" }, "memory pressure") : null,
      a.drain ? h("div", { class: "muted", "data-drain": a.drain }, a.drain) : null),
    h("td", null, a.info.labels.map((l) => h("span", { class: "label" }, l))),
    ...usageBars(res(a.info.total), res(a.assigned), use(a.used)),
    h("td", null, String(a.containers)),
    h("td", { class: "muted" }, ago(a.lastHeartbeat, now)),
    h("td", { class: "acts" }, may ? [
      a.state !== "draining" ? h(ActionButton, { label: "drain", run: act("DrainAgent") }) : null,
      a.state !== "offline" ? h(ActionButton, { label: "offline", run: act("OfflineAgent") }) : null,
      a.state === "offline" || a.state === "draining" ? h(ActionButton, { label: "online", run: act("OnlineAgent") }) : null,
    ] : null));
}

export function poolTable(pools: PoolUsage[]) {
  return table(["pool", "agents", "cpu", "memory", "disk"], pools.map((p) =>
    h("tr", { "data-pool": p.name }, h("td", null, p.name), h("td", null, String(p.agents)), ...usageBars(res(p.total), res(p.assigned), use(p.used)))), "no pools");
}

export function AgentsPage(p: { me: Me; q: string }) {
  const live = useLive([{ to: "resman", method: "ListAgents" }, { to: "resman", method: "Status" }],
    ([a, s]: [{ agents: AgentStatus[] }, Status]) => ({ agents: a.agents, pools: s.pools }), []);
  const [q, setQ] = useState(p.q);
  const now = Date.now();
  const all = live.data?.agents ?? [];
  const ql = q.trim().toLowerCase();
  const shown = all.filter((a) => !ql || [a.info.endpoint, a.info.hostname, a.info.pool, a.state, ...a.info.labels].some((x) => x.toLowerCase().includes(ql)))
    .sort((a, b) => a.info.endpoint.localeCompare(b.info.endpoint));
  return h("div", null,
    h("h1", null, "Agents and pools"),
    errorBox(live.error),
    section("Pools", poolTable(live.data?.pools ?? [])),
    section(`Agents (${shown.length} of ${all.length})`,
      h("div", { class: "filters" }, h("input", { type: "search", placeholder: "search endpoint, host, pool, label, state", value: q, onInput: (e: Event) => setQ((e.target as HTMLInputElement).value) })),
      table(["agent", "pool", "state", "labels", "cpu", "memory", "disk", "containers", "heartbeat", ""],
        shown.slice(0, 500).map((a) => agentRow(a, p.me, now)), live.data ? "no agent matches" : "loading…"),
      shown.length > 500 ? h("p", { class: "muted" }, `the first 500 of ${shown.length}: search to narrow (the topology shows them all)`) : null));
}

export function StatusPage() {
  const live = useLive([{ to: "resman", method: "Status" }], ([s]: [Status]) => s, []);
  const s = live.data;
  const now = Date.now();
  if (!s) return h("div", null, h("h1", null, "Cluster"), errorBox(live.error) ?? h("p", null, "loading…"));
  return h("div", null,
    h("h1", null, "Cluster"),
    errorBox(live.error),
    h("div", { class: "tiles" },
      h("div", { class: `tile ${s.safeMode ? "warn" : ""}`, "data-safe-mode": String(s.safeMode) },
        h("b", null, s.safeMode ? "safe mode" : "scheduling"), h("div", { class: "muted" }, s.safeMode ? s.safeModeReason || "on" : "safe mode off")),
      s.recovering ? h("div", { class: "tile warn" }, h("b", null, "recovering"), h("div", { class: "muted" }, `${s.agentsReported}/${s.agentsKnown} agents reported`)) : null,
      h("div", { class: "tile" }, h("b", null, `${s.agentsAlive} alive`), h("div", { class: "muted" }, `${s.agentsDead} dead · ${s.agentsOffline} offline · ${s.agentsDraining} draining`)),
      h("div", { class: "tile" }, h("b", null, `${s.containers} containers`), h("div", { class: "muted" }, `${s.pending} pending`))),
    section("Masters", table(["role", "address", "epoch", "pid", "leading since"], s.masters.map((m) =>
      h("tr", { "data-master": m.role }, h("td", null, m.role), h("td", null, m.address), h("td", null, String(m.epoch)), h("td", null, String(m.pid)),
        h("td", { class: "muted" }, ago(m.since, now)))))),
    section("Pools", poolTable(s.pools)));
}
