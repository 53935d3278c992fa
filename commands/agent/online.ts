import { agentStateCommand } from "./admin-state.ts";

export default agentStateCommand("online", "ResMan/OnlineAgent", "is online", "Put an offline or draining agent back in service");
