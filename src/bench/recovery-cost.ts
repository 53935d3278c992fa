// ResMan's cost of a failover, in process (the measurement lives in src/resman/takeover-rehearsal.ts, where a standby
// also runs it in small as its warm-up):
//
//   node_modules/.bin/bun src/bench/recovery-cost.ts [containers=100000] [agents=10000] [hints=1]
import { measureRecoveryCost } from "../resman/takeover-rehearsal.ts";

if (import.meta.main) {
  const [containers = 100_000, agents = 10_000, hints = 1] = process.argv.slice(2).map(Number);
  for (let run = 0; run < 3; run++) {
    const f = measureRecoveryCost(containers, agents, hints === 1);
    const ms = (x: number) => `${Math.round(x)} ms`;
    console.log(`${f.containers} containers on ${f.agents} agents: SyncGroups ${(f.syncBytes / 2 ** 20).toFixed(1)} MiB decode ${ms(f.syncDecodeMs)} apply ${ms(f.syncApplyMs)}; ` +
      `full reports ${(f.reportBytes / 2 ** 20).toFixed(1)} MiB decode ${ms(f.reportDecodeMs)} handle ${ms(f.reportHandleMs)}; replies ${(f.replyBytes / 2 ** 20).toFixed(1)} MiB encode ${ms(f.replyEncodeMs)}`);
  }
}
