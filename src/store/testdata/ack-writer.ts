// Fixture for store.test.ts: writes up to 5000 rows to the LMDB store in `dir`, alternating write() and writeSync(),
// and prints "ack <i> <seq>" only after each write was acknowledged. The test SIGKILLs it mid-stream.
import { openLmdbStore } from "../lmdb-store.ts";
import type { WriteTx } from "../store.ts";

const store = openLmdbStore(process.argv[2]!);
const rows = store.table<{ i: number; seq: number }>("rows");
const latest = store.table<number>("latest");

for (let i = 0; i < 5000; i++) {
  const seq = store.nextSeq("events");
  const key = `row/${String(i).padStart(6, "0")}`;
  const fn = (tx: WriteTx) => {
    tx.put(rows, key, { i, seq });
    tx.put(latest, "i", i);
  };
  if (i % 2 === 0) await store.write(fn);
  else store.writeSync(fn);
  process.stdout.write(`ack ${i} ${seq}\n`);
}
// Not killed (the test failed)? Don't linger.
setTimeout(() => process.exit(0), 30_000);
