// ResManCore's outbox, as AppMasterCore's `Out` and raft's Ready(): every input of the core returns what the shell
// must do, in order: persist `writes` (one transaction, before any answer goes out), then send (answer the parked
// WatchCaps of the agents in `capsChanged`; `hintGroups` are the groups AppMaster's next GetHints{since} shows).
// The sets gather across inputs until the shell has sent them and calls the core's `advance()`: an input whose
// sending is left to the next tick (heartbeats) loses nothing.
//
//   input(msg, now) ──► Out { writes, capsChanged, hintGroups } ──► shell: persist ──► send ──► core.advance()
import type { Write } from "./state.ts";

export interface Out {
  /** Hard state to commit before the answer: this input's alone. */
  readonly writes: Write[];
  /** Agents whose cap set changed, or that ResMan can speak for again, or that were removed, since the last advance. */
  readonly capsChanged: ReadonlySet<string>;
  /** Groups whose hints changed since the last advance (placement, reports, lost containers, requests). */
  readonly hintGroups: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();

export class Outbox {
  private caps = new Set<string>();
  private hints = new Set<string>();

  noteCapsChanged(endpoint: string): void {
    this.caps.add(endpoint);
  }

  noteHintGroup(group: string): void {
    this.hints.add(group);
  }

  /** What to do after an input that wrote `writes` (the sets are live until advance). */
  out(writes: Write[] = []): Out {
    return { writes, capsChanged: this.caps.size ? this.caps : NONE, hintGroups: this.hints.size ? this.hints : NONE };
  }

  /** The shell has persisted and sent what `out` gave: the sets start again. */
  advance(): void {
    if (this.caps.size) this.caps = new Set();
    if (this.hints.size) this.hints = new Set();
  }
}
