// A pod: its tasks, its exit history (the job's events about it) and its live logs. The logs are `galaxy logs -f`:
// the last lines first, then every new byte from where the last read stopped, once a second, while "follow" is on.
import { useEffect, useRef, useState } from "preact/hooks";
import { readLogs, useLive, type WatchCall } from "./api.ts";
import { ago } from "./model.ts";
import type { Event as GEvent, Pod } from "./types.ts";
import { badge, errorBox, h, jobHref, link, section, table } from "./ui.ts";
import { eventList } from "./job.ts";

const jobOf = (podId: string) => podId.replace(/\.\d+$/, "");
/** Kept in the page: the newest LOG_KEEP characters. */
const LOG_KEEP = 512 * 1024;
const EXITS = new Set(["exit", "restart", "failed", "lost", "move", "finished", "agent"]);

const calls = (id: string): WatchCall[] => [
  { to: "appmaster", method: "ListPods", body: { jobId: jobOf(id) } },
  { to: "appmaster", method: "ListEvents", body: { jobId: jobOf(id), limit: 200 } },
];
const shape = (id: string) => ([pods, ev]: [{ pods: Pod[] }, { events: GEvent[] }]) =>
  ({ pod: pods.pods.find((p) => p.id === id) ?? null, events: ev.events.filter((e) => e.podId === id) });

function Logs(p: { pod: string; tasks: string[] }) {
  const [task, setTask] = useState("");
  const [stderr, setStderr] = useState(false);
  const [follow, setFollow] = useState(true);
  const [text, setText] = useState("");
  const [note, setNote] = useState("");
  const [err, setErr] = useState("");
  const pre = useRef<HTMLPreElement>(null);
  const following = useRef(follow);
  following.current = follow;
  useEffect(() => {
    let stopped = false;
    let offset = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setText("");
    setErr("");
    let read = false;
    const step = async () => {
      if (read && !following.current) return void (timer = setTimeout(() => void step(), 1000)); // paused: keep the offset
      read = true;
      try {
        const r = await readLogs({ pod: p.pod, task, stderr, offset, tail: 200 });
        if (stopped) return;
        if (r.offset < offset) setText(""); // truncated or rotated: read again from its start
        offset = r.offset;
        if (r.text) setText((t) => (t + r.text).slice(-LOG_KEEP));
        setNote(`${r.task} on ${r.agent}${r.ended ? ` · ${r.ended}` : ""}`);
        setErr("");
        if (r.text && r.text.length >= 256 * 1024) return void step(); // more waiting
      } catch (e) {
        if (!stopped) setErr((e as Error).message);
      }
      if (!stopped) timer = setTimeout(() => void step(), 1000);
    };
    void step();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [p.pod, task, stderr]);
  useEffect(() => {
    if (pre.current && follow) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  return section("Logs",
    h("div", { class: "filters" },
      h("select", { value: task, name: "task", onChange: (e: Event) => setTask((e.target as HTMLSelectElement).value) },
        h("option", { value: "" }, "first task"), [...p.tasks, "worker"].map((t) => h("option", { value: t }, t))),
      h("label", null, h("input", { type: "checkbox", checked: stderr, onChange: () => setStderr(!stderr) }), " stderr"),
      h("label", null, h("input", { type: "checkbox", name: "follow", checked: follow, onChange: () => setFollow(!follow) }), " follow"),
      h("span", { class: "muted" }, note)),
    errorBox(err),
    h("pre", { class: "logs", ref: pre, "data-logs": p.pod }, text || "(no output yet)"));
}

export function PodPage(p: { id: string }) {
  const live = useLive(calls(p.id), shape(p.id), [p.id]);
  const d = live.data;
  const now = Date.now();
  const pod = d?.pod;
  return h("div", null,
    h("h1", null, p.id, " ", pod ? badge(pod.state) : null),
    errorBox(live.error),
    d && !pod ? h("p", { class: "muted" }, "AppMaster lists no such pod now (its job may be gone); its logs may still be kept on its agent.") : null,
    h("p", { class: "summary" }, "job ", link(jobHref(jobOf(p.id)), jobOf(p.id)),
      pod ? ` · agent ${pod.agent || "—"} · version ${pod.version} · restarts ${pod.restarts} · ${pod.healthy ? "healthy" : "not healthy"}` : "",
      pod?.lastError ? h("span", { class: "err-text" }, ` · ${pod.lastError}`) : null),
    pod ? section("Tasks", table(["task", "state", "health", "pid", "restarts", "exit", "message", "started"],
      pod.tasks.map((t) => h("tr", { "data-task": t.name },
        h("td", null, t.name), h("td", null, badge(t.state)), h("td", null, t.healthy ? "✔" : "—"), h("td", null, t.pid ? String(t.pid) : ""),
        h("td", null, String(t.restarts)), h("td", null, t.exitCode >= 0 ? String(t.exitCode) : t.signal || ""),
        h("td", null, t.message), h("td", { class: "muted" }, ago(t.startedAt, now)))), "no task reported yet")) : null,
    section("Exit history", eventList((d?.events ?? []).filter((e) => EXITS.has(e.kind)), now)),
    h(Logs, { pod: p.id, tasks: pod?.tasks.map((t) => t.name) ?? [] }));
}
