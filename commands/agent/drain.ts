import { agentStateCommand } from "./admin-state.ts";

export default agentStateCommand("drain", "ResMan/DrainAgent", "is draining",
  "Drain an agent: it takes no new containers and its containers move away, batch first, then services a job's deploy step at a time (never more than step of one service missing at once)");
