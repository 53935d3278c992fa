import { agentStateCommand } from "./admin-state.ts";

export default agentStateCommand("drain", "ResMan/DrainAgent", "is draining",
  "Drain an agent: it takes no new containers and its containers move away: batch and best-effort at once (rescheduled elsewhere), services make-before-break, a replacement running healthy elsewhere before the next pod stops (never more than a job's deploy step unhealthy); `galaxy agent show` says how it stands (drained, or why it waits)");
