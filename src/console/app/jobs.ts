// The jobs page: every job the user may list (AppMaster/ListJobs {all}), searchable, sortable, filtered by status,
// type, pool and user, with counts by status that filter when clicked.
import { useState } from "preact/hooks";
import { useLive } from "./api.ts";
import { ago, choices, countBy, filterJobs, NO_FILTER, poolsOf, sortJobs, type JobFilter, type JobRow, type SortKey } from "./model.ts";
import type { Job } from "./types.ts";
import { badge, errorBox, h, jobHref, link } from "./ui.ts";

const rowOf = (j: Job): JobRow => ({
  id: j.id, name: j.name, jobType: j.jobType, user: j.user, state: j.state, status: j.status || j.state, pools: poolsOf(j.specJson),
  replica: j.replica, healthy: j.healthy, running: j.running, version: j.version, createdAt: j.createdAt,
});

const COLUMNS: [SortKey, string][] = [
  ["id", "job"], ["jobType", "type"], ["user", "user"], ["pools", "pools"], ["status", "status"], ["healthy", "healthy"],
  ["version", "version"], ["createdAt", "created"],
];

export function JobsPage() {
  const live = useLive([{ to: "appmaster", method: "ListJobs", body: { all: true } }], ([r]: [{ jobs: Job[] }]) => r.jobs.map(rowOf), []);
  const [f, setF] = useState<JobFilter>(NO_FILTER);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "createdAt", desc: true });
  const all = live.data ?? [];
  const shown = sortJobs(filterJobs(all, f), sort.key, sort.desc);
  const set = (k: keyof JobFilter) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const select = (k: keyof JobFilter, label: string, opts: string[]) =>
    h("select", { value: f[k], onChange: set(k), "aria-label": label, name: k },
      h("option", { value: "" }, `any ${label}`), opts.map((o) => h("option", { value: o }, o)));
  const now = Date.now();
  return h("div", null,
    h("h1", null, "Jobs"),
    errorBox(live.error),
    h("div", { class: "counts" },
      h("button", { class: `chip ${f.status === "" ? "on" : ""}`, onClick: () => setF({ ...f, status: "" }) }, `all ${all.length}`),
      countBy(all, "status").map(([s, n]) =>
        h("button", { class: `chip ${f.status === s ? "on" : ""}`, "data-count": s, onClick: () => setF({ ...f, status: f.status === s ? "" : s }) }, badge(s), ` ${n}`))),
    h("div", { class: "filters" },
      h("input", { type: "search", placeholder: "search id, name, user", value: f.q, onInput: set("q"), name: "q" }),
      select("status", "status", choices(all, (j) => [j.status])),
      select("type", "type", choices(all, (j) => [j.jobType])),
      select("pool", "pool", choices(all, (j) => j.pools)),
      select("user", "user", choices(all, (j) => [j.user]))),
    h("table", { class: "jobs" },
      h("thead", null, h("tr", null, COLUMNS.map(([k, label]) =>
        h("th", { class: "sortable", onClick: () => setSort({ key: k, desc: sort.key === k ? !sort.desc : false }) },
          label, sort.key === k ? (sort.desc ? " ▾" : " ▴") : "")))),
      h("tbody", null, shown.length === 0
        ? h("tr", null, h("td", { colSpan: COLUMNS.length, class: "muted" }, live.data ? "no job matches" : "loading…"))
        : shown.map((j) => h("tr", { "data-job": j.id },
          h("td", null, link(jobHref(j.id), j.id)),
          h("td", null, j.jobType),
          h("td", null, j.user),
          h("td", null, j.pools.join(", ")),
          h("td", null, badge(j.status)),
          h("td", null, `${j.healthy}/${j.replica}`),
          h("td", null, String(j.version)),
          h("td", { title: new Date(j.createdAt).toISOString() }, ago(j.createdAt, now)))))),
    h("p", { class: "muted" }, `${shown.length} of ${all.length} jobs`));
}
