// A standby's warm copy of its role's hard state in etcd: loaded once, then kept current with a watch on
// `<prefix>/<role>/` (state rows, the epoch record and the leader key). At takeover the copy is complete once the
// watch has delivered the revision at which this process created its leader key: every write of the old leader was
// fenced by its own key, which was gone before ours was created, so each of them has a lower revision.
import { EtcdStore } from "../store/etcd-store.ts";
import type { EtcdClient, Watch } from "./etcd-client.ts";

export class WarmState {
  private store: EtcdStore | null = null;
  private seen = 0;
  private broken: string | null = null;
  private watch: Watch | null = null;
  private readonly started: Promise<void>;
  private wake: () => void = () => {};

  /** Starts loading and following `<rolePrefix>/state`. */
  constructor(
    private readonly client: EtcdClient,
    private readonly rolePrefix: string,
  ) {
    this.started = this.start();
  }

  /** Resolves once the first load is done (or has failed). */
  get ready(): Promise<void> {
    return this.started;
  }

  /**
   * The copy with every change up to `revision`, or null when it cannot be had within timeoutMs (watch broken or
   * stalled): the caller then loads afresh. The watch ends either way.
   */
  async take(revision: number, timeoutMs: number): Promise<{ store: EtcdStore | null; why: string }> {
    await this.started;
    const deadline = performance.now() + timeoutMs;
    while (this.broken === null && this.seen < revision && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - performance.now()));
        this.wake = () => (clearTimeout(t), resolve());
      });
    }
    this.stop();
    if (this.broken !== null) return { store: null, why: this.broken };
    if (this.seen < revision) return { store: null, why: `the watch reached revision ${this.seen}, not ${revision}, in ${timeoutMs} ms` };
    return { store: this.store, why: "" };
  }

  stop(): void {
    this.watch?.cancel();
    this.watch = null;
  }

  private async start(): Promise<void> {
    try {
      const store = new EtcdStore({ client: this.client, prefix: `${this.rolePrefix}/state` });
      const revision = await store.load();
      this.store = store;
      this.seen = revision;
      this.watch = this.client.watch(
        `${this.rolePrefix}/`,
        { prefix: true, startRevision: revision + 1, onCanceled: (why) => this.fail(`etcd ended the watch: ${why}`) },
        (events) => {
          if (this.watch === null) return; // taken: the store is the leader's now
          store.applyEvents(events);
          this.seen = Math.max(this.seen, events.at(-1)!.kv.modRevision);
          this.wake();
        },
      );
    } catch (e) {
      this.fail(`loading failed: ${(e as Error).message}`);
    }
  }

  private fail(why: string): void {
    this.broken ??= why;
    this.wake();
  }
}
