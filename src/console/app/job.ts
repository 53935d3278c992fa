// A job: status, update progress with pause / continue / rollback (for users who may update it), its pods with
// state, health, agent, restarts, last error and usage against what each pod requested, services, events, and its
// description as YAML. Everything from AppMaster/ShowJob and ListEvents, streamed live (api.ts useLive).
import { am, useLive, type WatchCall } from "./api.ts";
import { ago, bytes, cores, mayUpdate, poolsOf, toYaml, type Me } from "./model.ts";
import type { Event, Job, Pod, Service } from "./types.ts";
import { res, use } from "./types.ts";
import { ActionButton, badge, bar, errorBox, h, link, podHref, section, table } from "./ui.ts";

interface Shown { job: Job; pods: Pod[]; services: Service[]; events: Event[] }

const calls = (id: string): WatchCall[] => [
  { to: "appmaster", method: "ShowJob", body: { id } },
  { to: "appmaster", method: "ListEvents", body: { jobId: id, limit: 40 } },
];
const shape = ([s, ev]: [Omit<Shown, "events">, { events: Event[] }]): Shown => ({ ...s, events: ev.events });

function updateCard(job: Job, me: Me) {
  const u = job.update;
  if (!u || u.toVersion === 0) return null; // never updated
  const may = mayUpdate(me, { user: job.user, pools: poolsOf(job.specJson) });
  const act = (action: string) => () => am("UpdateJob", { id: job.id, action });
  const live = u.state === "active" || u.state === "paused";
  return section(`Update ${u.fromVersion} → ${u.toVersion}${u.rollback ? " (rollback)" : ""}`,
    h("div", { class: "update", "data-update": u.state },
      badge(u.state), ` ${u.kind} · `,
      bar("updated", u.updated, u.total, `${u.updated}/${u.total} pods on version ${u.toVersion}`),
      u.breakAt ? h("span", { class: "muted" }, ` pauses at ${u.breakAt}`) : null,
      u.step.length ? h("div", { class: "muted" }, `in the step now: ${u.step.join(", ")}`) : null),
    live && may
      ? h("div", { class: "buttons" },
        u.state === "active" ? h(ActionButton, { label: "pause", run: act("pause") }) : null,
        u.state === "paused" ? h(ActionButton, { label: "continue", run: act("continue") }) : null,
        h(ActionButton, { label: "rollback", run: act("rollback"), danger: true }))
      : live ? h("p", { class: "muted" }, `only ${job.user} with the update grant (or an admin) may pause, continue or roll back`) : null);
}

function podRow(p: Pod, job: Job, now: number) {
  const want = res(job.resources);
  const u = use(p.usage);
  return h("tr", { "data-pod": p.id, "data-pod-state": p.state },
    h("td", null, link(podHref(p.id), p.id)),
    h("td", null, badge(p.state)),
    h("td", null, p.healthy ? "✔ healthy" : p.state === "running" ? "✘ unhealthy" : "—"),
    h("td", null, p.agent || "—"),
    h("td", null, String(p.restarts)),
    h("td", null, `v${p.version}`),
    h("td", null, bar("cpu", u.millicores, want.millicores, `${cores(u.millicores)} / ${cores(want.millicores)} cpu`)),
    h("td", null, bar("memory", u.memoryRss, want.memory, `${bytes(u.memoryRss)} / ${bytes(want.memory)}`)),
    h("td", { class: "err-text" }, p.lastError),
    h("td", { class: "muted" }, ago(p.startedAt, now)));
}

function description(job: Job) {
  let text = job.specJson;
  try {
    text = toYaml(JSON.parse(job.specJson));
  } catch {
    // shown as it came
  }
  return h("details", { class: "card" }, h("summary", null, h("h2", null, "Description (YAML)")), h("pre", { class: "yaml" }, text));
}

export function JobPage(p: { id: string; me: Me }) {
  const live = useLive(calls(p.id), shape, [p.id]);
  const d = live.data;
  const now = Date.now();
  if (!d) return h("div", null, h("h1", null, p.id), errorBox(live.error) ?? h("p", null, "loading…"));
  const { job } = d;
  return h("div", null,
    h("h1", null, job.id, " ", badge(job.status || job.state)),
    errorBox(live.error),
    h("p", { class: "summary" },
      `${job.jobType} · owner ${job.user} · pools ${poolsOf(job.specJson).join(", ")} · version ${job.version} · state `, badge(job.state),
      ` · ${job.healthy}/${job.replica} healthy`, job.message ? h("span", { class: "err-text" }, ` · ${job.message}`) : null),
    updateCard(job, p.me),
    section("Pods", table(["pod", "state", "health", "agent", "restarts", "version", "cpu used / requested", "memory used / requested", "last error", "started"],
      d.pods.map((x) => podRow(x, job, now)), "no pods")),
    d.services.length ? section("Services", table(["service", "pod", "address", "status"],
      d.services.map((s) => h("tr", null, h("td", null, s.service), h("td", null, s.pod), h("td", null, s.address), h("td", null, badge(s.status)))))) : null,
    job.blacklist.length ? section("Blacklist", table(["agent", "reason", "until"],
      job.blacklist.map((b) => h("tr", null, h("td", null, b.agent), h("td", null, b.reason), h("td", null, new Date(b.until).toLocaleTimeString()))))) : null,
    section("Events", eventList(d.events, now)),
    description(job));
}

export function eventList(events: Event[], now: number) {
  return h("ul", { class: "events" }, events.length === 0 ? h("li", { class: "muted" }, "no events") :
    [...events].reverse().map((e) => h("li", null,
      h("span", { class: "muted", title: new Date(e.at).toISOString() }, ago(e.at, now)), " ",
      h("span", { class: "kind" }, e.kind), " ", e.podId ? h("span", { class: "muted" }, `${e.podId} `) : null, e.message)));
}
