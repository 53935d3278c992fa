import { DEFAULT_CONTEXT, readConfigFile, type ContextEntry } from "../../src/client/config.ts";
import { renderTable, useColor } from "../../src/client/table.ts";
import { ClientCommand, listFlags } from "../base.ts";

export default class ConfigGetContexts extends ClientCommand {
  static override description = `List the contexts of the config file; the current one is marked *

JSON fields: name, current, appmaster, resman, clusterDir, user, tokenSet`;
  static override examples = ["<%= config.bin %> config get-contexts", "<%= config.bin %> config get-contexts -o json"];
  static override flags = { ...listFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(ConfigGetContexts);
    const file = readConfigFile();
    const current = flags.context ?? process.env.GALAXY_CONTEXT ?? file.currentContext ?? DEFAULT_CONTEXT;
    const entries: [string, ContextEntry][] = [[DEFAULT_CONTEXT, file], ...Object.entries(file.contexts ?? {})];
    const rows = entries.map(([name, c]) => ({
      name, current: name === current, appmaster: c.appmaster ?? [], resman: c.resman ?? [], clusterDir: c.clusterDir ?? "", user: c.user ?? "", tokenSet: !!c.token,
    }));
    if (flags.json) return this.printJson(rows);
    const table = rows.map((r) => [`${r.current ? "*" : " "}${r.name}`, r.appmaster.join(",") || "-", r.clusterDir || "-", r.user || "-"]);
    this.log(renderTable(["CONTEXT", "APPMASTER", "CLUSTER DIR", "USER"], table, { color: useColor() }));
  }
}
