import { agentStateCommand } from "./admin-state.ts";

export default agentStateCommand("offline", "ResMan/OfflineAgent", "is offline: it takes no new containers",
  "Take an agent offline: it keeps its containers but takes no new ones");
