// Table and targets of `galaxy bench failover`.
import type { FailoverFigures } from "./failover.ts";
import { format, table, type Target } from "./report.ts";

export function failoverTable(f: FailoverFigures): string {
  const rows: [string, string][] = [
    ["hard state and election", f.backend === "etcd" ? "etcd (3 members), a data dir per ResMan" : "LMDB + flock, one cluster dir and data dir"],
    ["agents x containers", `${format(f.agents)} x ${format(f.containers / Math.max(1, f.agents))} = ${format(f.containers)} (${f.perAgent[0]}..${f.perAgent[1]} per agent)`],
    ["epoch", `${f.epochBefore} -> ${f.epochAfter}`],
    ["kill -9 -> standby holds the lock", `${format(f.killToLockMs)} ms`],
    ["lock -> first answer", `${format(f.lockToFirstAnswerMs)} ms`],
    ["lock -> AppMaster's sync answered", `${format(f.lockToSyncedMs)} ms (every request, and its hints: where each container runs)`],
    ["lock -> full placement knowledge", `${format(f.lockToFullKnowledgeMs)} ms (every agent reported in full)`],
    ["lock -> recovery over", `${format(f.lockToRecoveryEndMs)} ms`],
    ["lock -> new group placed", `${format(f.lockToPlacedAgainMs)} ms (${format(f.newGroupPlacedMs)} ms after its creation)`],
    ["heartbeats kill -> full knowledge", `${format(f.recoveryErrors)} failed; round trip p50 ${format(f.recoveryRttP50Ms)} ms, p99 ${format(f.recoveryRttP99Ms)} ms`],
    ["cpu kill -> full knowledge", `new leader ${f.recoveryResmanCpuPct}%, agents ${f.recoveryAgentsCpuPct}% (of one core)`],
    ["caps revoked (all online)", String(f.revoked)],
    ["every agent on the new epoch", f.agentsOnNewEpoch ? "yes" : "no"],
    ["over-committed agents", String(f.overcommitted.length)],
    ["new leader RSS", `${format(f.standbyRssMiB)} MiB`],
  ];
  return table(rows, [
    { header: "FAILOVER", value: (r) => r[0] },
    { header: "FIGURE", value: (r) => r[1] },
  ]);
}

/** Full placement knowledge < 5 s after the standby takes the lock, 0 online containers revoked. */
export function failoverTargets(f: FailoverFigures): Target[] {
  const scale = `${format(f.agents)} agents x ${format(f.containers / Math.max(1, f.agents))}`;
  return [
    { name: `full placement knowledge, ${scale}`, goal: "< 5 s after the lock", figure: `${format(f.lockToFullKnowledgeMs)} ms`, met: f.lockToFullKnowledgeMs < 5000, atScale: f.agents >= 10_000 && f.containers >= 100_000 },
    { name: "online containers revoked", goal: "0", figure: String(f.revoked), met: f.revoked === 0 },
  ];
}
