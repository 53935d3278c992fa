// A store whose commits fail while `failure` is set: for tests of what a failed commit changes (nothing) and says.
import type { Store } from "../store/index.ts";

export type FailingStore = Store & { failure: Error | null };

export function failingStore(inner: Store): FailingStore {
  const s: FailingStore = {
    failure: null,
    table: (name) => inner.table(name),
    write: (fn) => (s.failure ? Promise.reject(s.failure) : inner.write(fn)),
    writeSync: (fn) => {
      if (s.failure) throw s.failure;
      inner.writeSync(fn);
    },
    nextSeq: (name) => inner.nextSeq(name),
    close: () => inner.close(),
  };
  return s;
}

/** lmdb-js's form of a failed commit: the reason comes in the promise `commitError`. */
export function lmdbCommitFailure(reason: string): Error {
  const commitError = Promise.reject(new Error(reason));
  commitError.catch(() => {});
  return Object.assign(new Error("Commit failed (see commitError for details)"), { commitError });
}
