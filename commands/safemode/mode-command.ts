// `galaxy safemode enter|leave`: one class per verb, made here.
import { ClientCommand, jsonFlag } from "../base.ts";

export function safeModeCommand(enter: boolean) {
  return class extends ClientCommand {
    static override description = enter
      ? "Enter safe mode: ResMan schedules nothing, moves nothing and revokes nothing for silent agents until `galaxy safemode leave` (it stays on across restarts)\n\nJSON fields: as `galaxy status --json`"
      : "Leave safe mode (also the automatic one after a start, which waits for most known agents to report)\n\nJSON fields: as `galaxy status --json`";
    static override examples = [`<%= config.bin %> safemode ${enter ? "enter" : "leave"}`];
    static override flags = { ...jsonFlag };

    async run(): Promise<void> {
      const { flags } = await this.parse(this.constructor as typeof ClientCommand);
      this.connect(flags);
      const s = await this.rm().call("ResMan/SafeMode", { enter });
      if (flags.json) return this.printJson(s);
      this.log(s.safeMode ? `safe mode is on (${s.safeModeReason}): nothing is scheduled` : "safe mode is off: scheduling");
    }
  };
}
