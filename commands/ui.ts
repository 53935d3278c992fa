import { Flags } from "@oclif/core";
import { leaderAddr } from "../src/client/connect.ts";
import { findConsole, hasCommand, openBrowser, opener } from "../src/console/open.ts";
import { ClientCommand } from "./base.ts";

export default class Ui extends ClientCommand {
  static override description = `Print the URL of the web console (served by the leading AppMaster at /ui) and open it in a browser when there is a display

Log in there with the same user and token as the CLI (galaxy login). The console shows jobs, pods and their logs,
agents and pools, the fleet's topology and the cluster's status, live; it offers the actions the user's grants allow.`;
  static override examples = ["<%= config.bin %> ui", "<%= config.bin %> ui --no-open"];
  static override flags = {
    open: Flags.boolean({ description: "open a browser on it (default: when DISPLAY or WAYLAND_DISPLAY is set and xdg-open exists)", allowNo: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ui);
    this.connect(flags);
    const leader = leaderAddr(this.cfg.clusterDir, "appmaster");
    const addrs = [...(leader ? [leader] : []), ...this.cfg.appmaster];
    const url = await findConsole(addrs.length ? addrs : ["127.0.0.1:1647"]);
    this.log(url);
    if (flags.open === false) return;
    const cmd = opener(process.env, hasCommand);
    if (cmd) openBrowser(cmd, url);
    else if (flags.open) process.stderr.write("no display to open a browser on (DISPLAY is not set): open the URL above yourself\n");
  }
}
