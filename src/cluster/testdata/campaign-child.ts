// Test fixture: campaigns for a role and reports on stdout, one JSON object a line:
//   {"event":"campaigning","pid":P}   {"event":"leader","epoch":E,"pid":P}   {"event":"lost","epoch":E,"pid":P}
//   {"event":"log","msg":"..."}
// Then stays alive until killed. Usage: bun campaign-child.ts <cluster-dir> <role> <addr> <leaseMs> <pollMs>
import { ClusterDir, campaign, type MasterRole } from "../index.ts";

const [dir, role, addr, leaseMs, pollMs] = process.argv.slice(2);
const out = (o: Record<string, unknown>) => console.log(JSON.stringify({ ...o, pid: process.pid }));

out({ event: "campaigning" });
const leadership = await campaign({
  clusterDir: new ClusterDir(dir!),
  role: role as MasterRole,
  addr: addr!,
  leaseMs: Number(leaseMs),
  pollMs: Number(pollMs),
  log: (msg) => out({ event: "log", msg }),
});
out({ event: "leader", epoch: leadership.epoch });
const check = setInterval(() => {
  if (!leadership.isLeader()) {
    out({ event: "lost", epoch: leadership.epoch });
    clearInterval(check);
  }
}, 20);
setInterval(() => {}, 1 << 30); // stay alive until killed
