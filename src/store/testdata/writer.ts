// Fixture: writes N keys, one acknowledged write at a time, printing each key after its write resolved; then waits to be killed.
import { openLmdbStore } from "../lmdb-store.ts";

const [dir, n] = [process.argv[2]!, Number(process.argv[3])];
const store = openLmdbStore(dir);
const t = store.table<number>("acks");
for (let i = 0; i < n; i++) {
  await store.write((tx) => tx.put(t, `k${String(i).padStart(5, "0")}`, i));
  process.stdout.write(`ack ${i}\n`);
}
process.stdout.write("done\n");
setInterval(() => {}, 1000);
