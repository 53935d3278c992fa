import { labelCommand } from "./label-command.ts";

export default labelCommand(true);
