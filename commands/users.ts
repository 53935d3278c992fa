import { formatAgo } from "../src/core/units.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, listFlags } from "./base.ts";

export default class Users extends ClientCommand {
  static override description = `List users and their grants (admin only)

JSON fields: name, admin, createdAt, grants [{pool, allow}]`;
  static override examples = ["<%= config.bin %> users", "<%= config.bin %> users --json"];
  static override flags = { ...listFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(Users);
    this.connect(flags);
    const r = await this.rm().call("ResMan/ListUsers", {});
    const users = r.users.map((u) => ({ ...u, grants: r.grants.filter((g) => g.user === u.name).map((g) => ({ pool: g.pool, allow: g.allow })) }));
    if (flags.json) return this.printJson(users);
    const now = Date.now();
    const rows = users.map((u) => [u.name, u.admin ? "yes" : "no", u.grants.map((g) => `${g.pool}: ${g.allow.join(",")}`).join("; ") || "-", formatAgo(u.createdAt, now)]);
    this.log(renderTable(["USER", "ADMIN", "GRANTS", "CREATED"], rows, { color: useColor() }));
  }
}
