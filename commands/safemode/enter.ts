import { safeModeCommand } from "./mode-command.ts";

export default safeModeCommand(true);
