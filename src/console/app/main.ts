// The console's page: a login that takes a user and token (the CLI's), then hash routes:
//   #/jobs  #/job/ID  #/pod/ID  #/agents[?q=]  #/topology[?fake=N]  #/status
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { saveSession, session, whoami } from "./api.ts";
import type { Me } from "./model.ts";
import { AgentsPage, StatusPage } from "./fleet.ts";
import { JobPage } from "./job.ts";
import { JobsPage } from "./jobs.ts";
import { PodPage } from "./pod.ts";
import { TopologyPage } from "./topology.ts";
import { errorBox, h } from "./ui.ts";

interface Route { page: string; arg: string; query: URLSearchParams }

export function parseRoute(hash: string): Route {
  const [path = "", q = ""] = hash.replace(/^#\/?/, "").split("?");
  const [page = "jobs", ...rest] = path.split("/");
  return { page: page || "jobs", arg: decodeURIComponent(rest.join("/")), query: new URLSearchParams(q) };
}

function useRoute(): Route {
  const [r, setR] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = () => setR(parseRoute(location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return r;
}

function Login(p: { onIn: (me: Me) => void }) {
  const [user, setUser] = useState("");
  const [token, setToken] = useState("");
  const [err, setErr] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr("");
    try {
      const s = { user: user.trim(), token: token.trim() };
      const me = await whoami(s);
      saveSession(s);
      p.onIn(me);
    } catch (x) {
      setErr((x as Error).message === "missing or invalid credentials" ? "unknown user or wrong token" : (x as Error).message);
    }
  };
  return h("form", { class: "login card", onSubmit: (e: Event) => void submit(e) },
    h("h1", null, "Galaxy"),
    h("p", { class: "muted" }, "Log in with your Galaxy user and token: the ones `galaxy login` takes (an admin gets one from `galaxy user add`)."),
    h("label", null, "user", h("input", { name: "user", autocomplete: "username", value: user, onInput: (e: Event) => setUser((e.target as HTMLInputElement).value) })),
    h("label", null, "token", h("input", { name: "token", type: "password", autocomplete: "current-password", value: token, onInput: (e: Event) => setToken((e.target as HTMLInputElement).value) })),
    errorBox(err),
    h("button", { type: "submit" }, "Log in"));
}

const NAV: [string, string][] = [["jobs", "Jobs"], ["agents", "Agents & pools"], ["topology", "Topology"], ["status", "Cluster"]];

function page(r: Route, me: Me) {
  switch (r.page) {
    case "job": return h(JobPage, { id: r.arg, me });
    case "pod": return h(PodPage, { id: r.arg });
    case "agents": return h(AgentsPage, { me, q: r.query.get("q") ?? "" });
    case "topology": return h(TopologyPage, { fake: Math.min(100_000, Number(r.query.get("fake") ?? 0) || 0) });
    case "status": return h(StatusPage, null);
    default: return h(JobsPage, null);
  }
}

function App() {
  const r = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(session() !== null);
  useEffect(() => {
    const out = () => { saveSession(null); setMe(null); };
    window.addEventListener("galaxy-logout", out);
    if (session()) whoami().then(setMe, () => saveSession(null)).finally(() => setChecking(false));
    return () => window.removeEventListener("galaxy-logout", out);
  }, []);
  if (checking) return h("p", null, "…");
  if (!me) return h(Login, { onIn: setMe });
  return h("div", { class: "shell" },
    h("header", null,
      h("a", { class: "brand", href: "#/jobs" }, "Galaxy"),
      h("nav", null, NAV.map(([p, label]) => h("a", { href: `#/${p}`, class: r.page === p || (p === "jobs" && (r.page === "job" || r.page === "pod")) ? "on" : "" }, label))),
      h("span", { class: "who" }, `${me.user}${me.admin ? " (admin)" : ""} `,
        h("button", { class: "link", onClick: () => { saveSession(null); setMe(null); } }, "log out"))),
    h("main", null, page(r, me)));
}

const root = document.getElementById("app")!;
root.textContent = "";
render(h(App, null), root);
