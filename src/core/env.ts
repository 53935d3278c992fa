// Names of the environment variables a task's processes see (jobspec.md, "What each process sees").

/** The variable that holds a port's number: "http" -> GALAXY_PORT_HTTP, "admin-ui" -> GALAXY_PORT_ADMIN_UI. */
export function portEnvName(portName: string): string {
  return "GALAXY_PORT_" + portName.toUpperCase().replace(/-/g, "_");
}
