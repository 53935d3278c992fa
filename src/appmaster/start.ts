// AppMaster's process: the backend (LMDB or etcd), the shell, the RPC server with its handlers, the election loop.
// The one place that wires the handlers to the shell, so handlers.ts depends on the shell and not the other way.
import { leaderCheck, runMaster, type MasterHandle } from "../cluster/index.ts";
import { openBackend } from "../cluster/backend.ts";
import { RpcServer, type Principal } from "../rpc/index.ts";
import { registerJobHandlers } from "./handlers.ts";
import { APPMASTER_MAX_BODY_BYTES, AppMasterShell, type AppMasterOptions } from "./server.ts";

/** What routes beside the RPCs (the web console, src/console) get to reach the cluster as the calling user. */
export interface SideRouteDeps {
  /** ResMan addresses, leader first. */
  resman: () => string[];
  /** AppMaster addresses, leader first. */
  appmaster: () => string[];
  authenticate: (user: string, token: string) => Promise<Principal | null>;
}

/** Routes served beside /rpc/ (the entry point plugs the web console in: roles import no entry point). */
export type SideRoutes = (deps: SideRouteDeps) => (req: Request, path: string) => Promise<Response | null>;

const leaderFirst = (leader: string | undefined, others: string[]): string[] => [...new Set([...(leader ? [leader] : []), ...others])];

export async function startAppMaster(opts: AppMasterOptions, sideRoutes?: SideRoutes): Promise<MasterHandle> {
  const { cluster, store, elect, close } = await openBackend({ role: "appmaster", ...opts });
  const shell = new AppMasterShell(store, cluster, opts);
  const server = new RpcServer({
    role: "appmaster",
    secret: () => cluster.secret(),
    maxBodyBytes: APPMASTER_MAX_BODY_BYTES,
    authenticateUser: (u, t) => shell.authenticateUser(u, t),
    leaderCheck: leaderCheck("appmaster", cluster, opts.advertise, shell),
    health: () => ({ leader: shell.leadership?.isLeader() === true, epoch: shell.leadership?.epoch ?? 0 }),
    ...(sideRoutes ? {
      otherRoutes: sideRoutes({
        resman: () => leaderFirst(cluster.readLeader("resman")?.addr, opts.resman),
        appmaster: () => leaderFirst(cluster.readLeader("appmaster")?.addr, [opts.advertise]),
        authenticate: (u, t) => shell.authenticateUser(u, t),
      }),
    } : {}),
  });
  registerJobHandlers(server, shell);
  return runMaster({ role: "appmaster", cluster, elect, advertise: opts.advertise, host: opts.host, port: opts.port, server, shell, log: opts.log, close });
}
