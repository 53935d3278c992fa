// The one explicit registry of every command (the compiled binary cannot scan a folder).
import Agent from "./agent.ts";
import AgentDrain from "./agent/drain.ts";
import AgentOffline from "./agent/offline.ts";
import AgentOnline from "./agent/online.ts";
import AgentPool from "./agent/pool.ts";
import AgentRemove from "./agent/remove.ts";
import AgentShow from "./agent/show.ts";
import Agents from "./agents.ts";
import Containers from "./containers.ts";
import Grant from "./grant.ts";
import LabelAdd from "./label/add.ts";
import LabelRemove from "./label/remove.ts";
import Labels from "./labels.ts";
import Plan from "./plan.ts";
import PoolAdd from "./pool/add.ts";
import PoolRemove from "./pool/remove.ts";
import Pools from "./pools.ts";
import Preempt from "./preempt.ts";
import Rebalance from "./rebalance.ts";
import Quota from "./quota.ts";
import SafeModeEnter from "./safemode/enter.ts";
import SafeModeLeave from "./safemode/leave.ts";
import UserAdd from "./user/add.ts";
import UserRemove from "./user/remove.ts";
import Users from "./users.ts";
import AppMaster from "./appmaster.ts";
import AppWorker from "./appworker.ts";
import BenchAgents from "./bench/agents.ts";
import BenchCli from "./bench/cli.ts";
import BenchCluster from "./bench/cluster.ts";
import BenchFailover from "./bench/failover.ts";
import BenchHost from "./bench/host.ts";
import BenchSchedule from "./bench/schedule.ts";
import BenchStorms from "./bench/storms.ts";
import JobShow from "./job.ts";
import Jobs from "./jobs.ts";
import Login from "./login.ts";
import Logs from "./logs.ts";
import Config from "./config.ts";
import Completion from "./completion.ts";
import Pods from "./pods.ts";
import Remove from "./remove.ts";
import ResMan from "./resman.ts";
import Status from "./status.ts";
import Submit from "./submit.ts";
import Up from "./up.ts";
import Version from "./version.ts";
import Update from "./update.ts";
import Scale from "./scale.ts";
import Recover from "./recover.ts";
import Services from "./services.ts";
import Events from "./events.ts";
import Ui from "./ui.ts";
import Apply from "./apply.ts";
import History from "./history.ts";
import Exec from "./exec.ts";
import CompletionIds from "./completion/ids.ts";
import ConfigGetContexts from "./config/get-contexts.ts";
import ConfigSetContext from "./config/set-context.ts";
import ConfigUseContext from "./config/use-context.ts";

export const COMMANDS = {
  agent: Agent,
  "agent:drain": AgentDrain,
  "agent:offline": AgentOffline,
  "agent:online": AgentOnline,
  "agent:pool": AgentPool,
  "agent:remove": AgentRemove,
  "agent:show": AgentShow,
  agents: Agents,
  containers: Containers,
  grant: Grant,
  "label:add": LabelAdd,
  "label:remove": LabelRemove,
  labels: Labels,
  plan: Plan,
  "pool:add": PoolAdd,
  "pool:remove": PoolRemove,
  pools: Pools,
  preempt: Preempt,
  rebalance: Rebalance,
  quota: Quota,
  "safemode:enter": SafeModeEnter,
  "safemode:leave": SafeModeLeave,
  "user:add": UserAdd,
  "user:remove": UserRemove,
  users: Users,
  appmaster: AppMaster,
  appworker: AppWorker,
  "bench:agents": BenchAgents,
  "bench:cli": BenchCli,
  "bench:cluster": BenchCluster,
  "bench:failover": BenchFailover,
  "bench:host": BenchHost,
  "bench:schedule": BenchSchedule,
  "bench:storms": BenchStorms,
  job: JobShow,
  jobs: Jobs,
  login: Login,
  logs: Logs,
  config: Config,
  completion: Completion,
  pods: Pods,
  remove: Remove,
  resman: ResMan,
  status: Status,
  submit: Submit,
  up: Up,
  version: Version,
  update: Update,
  scale: Scale,
  recover: Recover,
  services: Services,
  events: Events,
  ui: Ui,
  apply: Apply,
  history: History,
  exec: Exec,
  "completion:ids": CompletionIds,
  "config:get-contexts": ConfigGetContexts,
  "config:set-context": ConfigSetContext,
  "config:use-context": ConfigUseContext,
};
