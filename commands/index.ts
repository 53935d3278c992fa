// The one explicit registry of every command (the compiled binary cannot scan a folder).
import Agent from "./agent.ts";
import AppMaster from "./appmaster.ts";
import AppWorker from "./appworker.ts";
import JobShow from "./job.ts";
import Jobs from "./jobs.ts";
import Login from "./login.ts";
import Config from "./config.ts";
import Completion from "./completion.ts";
import Pods from "./pods.ts";
import Remove from "./remove.ts";
import ResMan from "./resman.ts";
import Status from "./status.ts";
import Submit from "./submit.ts";
import Up from "./up.ts";
import Version from "./version.ts";

export const COMMANDS = {
  agent: Agent,
  appmaster: AppMaster,
  appworker: AppWorker,
  job: JobShow,
  jobs: Jobs,
  login: Login,
  config: Config,
  completion: Completion,
  pods: Pods,
  remove: Remove,
  resman: ResMan,
  status: Status,
  submit: Submit,
  up: Up,
  version: Version,
};
