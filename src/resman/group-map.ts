// ResMan's groups by id, with the anti-affinity index kept beside them: every set or delete of a group updates the
// index, so a scheduling pass looks up a group's rules (its own and the reverse of others') without walking them all.
import { AntiAffinityIndex } from "../scheduler/index.ts";
import type { GroupRec } from "./state.ts";

export class GroupMap extends Map<string, GroupRec> {
  readonly antiAffinity = new AntiAffinityIndex();

  override set(id: string, rec: GroupRec): this {
    super.set(id, rec);
    this.antiAffinity?.set({ ...rec.spec, id });
    return this;
  }

  override delete(id: string): boolean {
    this.antiAffinity?.delete(id);
    return super.delete(id);
  }

  override clear(): void {
    this.antiAffinity?.clear();
    super.clear();
  }
}
