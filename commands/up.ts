import { Command, Flags } from "@oclif/core";
import chalk from "chalk";
import { existsSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConflictError, InvalidError } from "../src/core/errors.ts";
import { parseDuration } from "../src/core/units.ts";
import { configPath } from "../src/client/config.ts";
import { agentVolume, startUp, waitReady, type UpCluster } from "../src/up/up.ts";
import { parseVolumeFlag } from "../src/agent/volumes.ts";
import { commandName } from "../src/sys/self.ts";
import { fatal } from "./base.ts";

/** The README's example job as this user can type it: relative from here when it is here, else its full path. */
function helloPath(): string {
  const rel = "testdata/jobs/hello.yaml";
  if (existsSync(rel)) return rel;
  const exe = realpathSync(process.execPath);
  const near = [join(dirname(exe), "..", rel), join(import.meta.dir, "..", rel)].find((p) => existsSync(p));
  return near ? resolve(near) : "YOUR-JOB.yaml";
}

export default class Up extends Command {
  static override description = `Run a whole cluster on this machine in the foreground: ResMan, AppMaster and N agents (pool default), an admin user, and ~/.galaxy/config so the client just works. A role that dies is started again. Ctrl-C stops all of it and removes every container.

One galaxy up per --dir: while one runs, another on the same directory refuses (naming the pid that holds it) and touches nothing.`;
  static override examples = [
    "<%= config.bin %> up",
    "<%= config.bin %> up --dir /tmp/g --agents 2 --cpu 2 --memory 2G",
    "<%= config.bin %> up --etcd http://127.0.0.1:2379",
  ];
  static override flags = {
    dir: Flags.string({ description: "directory for the cluster's state and logs", default: ".galaxy" }),
    agents: Flags.integer({ description: "number of agents", default: 3, min: 1, max: 64 }),
    cpu: Flags.string({ description: "cores each agent offers", default: "2" }),
    memory: Flags.string({ description: "memory each agent offers", default: "2G" }),
    port: Flags.integer({ description: "ResMan's port; AppMaster uses port+2, agent i port+10+i", default: 1645 }),
    "ports-from": Flags.integer({ description: "first dynamic port; agent i uses 1000 ports from ports-from + 1000*i", default: 20000 }),
    "agent-timeout": Flags.string({ description: "ResMan declares an agent dead after this long without a heartbeat", default: "10s" }),
    "gc-delay": Flags.string({ description: "how long each agent keeps an ended pod's workspace, so `galaxy logs` can read it", default: "10m" }),
    etcd: Flags.string({ description: "etcd endpoints URL[,URL...]: masters keep hard state and elect there, two of each (ResMan also on port+1, AppMaster on port+3)", env: "GALAXY_ETCD" }),
    volume: Flags.string({ description: "a storage device MEDIUM:PATH:SIZE for every agent: agent i gets PATH/agent-i, or PATH with {i} replaced by i (repeatable)", multiple: true, default: [] }),
    quiet: Flags.boolean({ char: "q", description: "do not echo the roles' logs (they are in DIR/logs)" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Up);
    if (flags["ports-from"] + 1000 * flags.agents > 65535) fatal(new InvalidError("--ports-from leaves no room for every agent's ports").message);
    try {
      for (const v of flags.volume) parseVolumeFlag(agentVolume(v, 0));
    } catch (e) {
      fatal((e as Error).message);
    }
    try {
      parseDuration(flags["gc-delay"]);
    } catch (e) {
      fatal(`--gc-delay: ${(e as Error).message}`);
    }
    const color = !!process.stderr.isTTY && !process.env.NO_COLOR;
    const echo = (name: string, line: string) => {
      if (!flags.quiet) process.stderr.write(`${color ? chalk.cyan(`[${name}]`) : `[${name}]`} ${line}\n`);
    };
    let cluster: UpCluster;
    try {
      cluster = startUp({
        dir: flags.dir, agents: flags.agents, cpu: flags.cpu, memory: flags.memory, port: flags.port, portsFrom: flags["ports-from"],
        agentTimeout: flags["agent-timeout"], gcDelay: flags["gc-delay"], etcd: flags.etcd, echo, volumes: flags.volume,
      });
    } catch (e) {
      if (e instanceof ConflictError) fatal(e.message);
      throw e;
    }
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`${sig}: stopping the cluster and removing its containers…\n`);
      await cluster.stop();
      process.stderr.write("stopped; nothing left running\n");
      process.exit(0);
    };
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
    const ready = await waitReady(cluster, flags.agents, 60_000, (m) => process.stderr.write(`up: ${m}\n`));
    if (!ready) process.stderr.write("up: the cluster is not ready after 60 s; see the logs in " + flags.dir + "/logs\n");
    else {
      this.log(`Galaxy is up: resman ${cluster.config.resman[0]}, appmaster ${cluster.config.appmaster[0]}, ${flags.agents} agents.`);
      this.log(`Client config written to ${configPath()} (user admin). Try: ${commandName()} apply -f ${helloPath()} --watch`);
      this.log(`Web console: http://${cluster.config.appmaster[0]}/ui/ (user admin, token in ${flags.dir}/admin-token)`);
      this.log("Press Ctrl-C to stop.");
    }
    await new Promise(() => {});
  }
}
