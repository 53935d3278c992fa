// The one explicit registry of every command (the compiled binary cannot scan a folder).
import Version from "./version.ts";

export const COMMANDS = {
  version: Version,
};
