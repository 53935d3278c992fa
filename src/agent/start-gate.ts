// How many containers an agent starts at once. Each start forks an init and a worker and writes cgroups; 256 of them
// at once on 2 cores starved the inits ("its init was not ready after 30000 ms") and held the agent's event loop, so
// its heartbeats stopped and ResMan declared it dead. The rest wait their turn in order (state "creating"); the
// init's readiness timeout starts when its own turn comes, not when it was queued.
export class StartGate {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new Error(`bad start limit ${limit}: want a whole number above 0`);
  }

  /** Resolves when a slot is free (first come, first served); call leave() once done with it. */
  enter(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((ok) => this.queue.push(ok));
  }

  leave(): void {
    const next = this.queue.shift();
    if (next) next(); // the slot passes straight on
    else this.running = Math.max(0, this.running - 1);
  }

  get inFlight(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }
}

/** Containers an agent starts at once unless told (`--max-starting`). */
export const DEFAULT_MAX_STARTING = 8;
