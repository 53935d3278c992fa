// ResMan's process: the backend (LMDB or etcd), the shell, the RPC server with every handler, the election loop.
// The one place that wires the handlers to the shell, so handler files depend on the shell and not the other way.
import { leaderCheck, runMaster, type MasterHandle } from "../cluster/index.ts";
import { openBackend } from "../cluster/backend.ts";
import { RpcServer } from "../rpc/index.ts";
import { registerAdminHandlers } from "./admin-handlers.ts";
import { registerClusterHandlers } from "./cluster-handlers.ts";
import { registerInternalHandlers, ResManShell, type ResManOptions } from "./server.ts";

export async function startResMan(opts: ResManOptions): Promise<MasterHandle> {
  const { cluster, store, elect, close } = await openBackend({ role: "resman", ...opts });
  const shell = new ResManShell(store, cluster, opts);
  const server = new RpcServer({
    role: "resman",
    secret: () => cluster.secret(),
    authenticateUser: (u, t) => shell.authenticateUser(u, t),
    leaderCheck: leaderCheck("resman", cluster, opts.advertise, shell),
    health: () => ({ leader: shell.leadership?.isLeader() === true, epoch: shell.leadership?.epoch ?? 0, recovering: shell.core?.recovering ?? true }),
  });
  registerInternalHandlers(server, shell);
  registerClusterHandlers(server, shell);
  registerAdminHandlers(server, shell);
  return runMaster({
    role: "resman", cluster, elect, advertise: opts.advertise, host: opts.host, port: opts.port, server, shell, log: opts.log, close,
    warmUp: opts.warmUp,
  });
}
