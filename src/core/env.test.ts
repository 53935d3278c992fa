import { expect, test } from "bun:test";
import { portEnvName } from "./env.ts";

test.each([
  ["http", "GALAXY_PORT_HTTP"],
  ["admin-ui", "GALAXY_PORT_ADMIN_UI"],
  ["grpc_2", "GALAXY_PORT_GRPC_2"],
  ["a-b-c", "GALAXY_PORT_A_B_C"],
])("portEnvName(%p) = %p", (name, env) => {
  expect(portEnvName(name)).toBe(env);
});
