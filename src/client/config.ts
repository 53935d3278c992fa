// Where the client finds the cluster: flags, then GALAXY_* environment, then ~/.galaxy/config (cli.md).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { InvalidError } from "../core/errors.ts";

export interface ClientConfig {
  appmaster: string[];
  resman: string[];
  clusterDir: string;
  user: string;
  token: string;
  /** Follow leader files in clusterDir for this role (off when addresses were given by flag or environment). */
  followLeader?: { appmaster: boolean; resman: boolean };
}

/** A named cluster of the config file (galaxy config set-context / use-context / get-contexts). */
export interface ContextEntry {
  appmaster?: string[];
  resman?: string[];
  clusterDir?: string;
  user?: string;
  token?: string;
}

/** The file: the top-level settings are the context "default"; currentContext picks another one. */
export interface ConfigFile extends Partial<ClientConfig> {
  contexts?: Record<string, ContextEntry>;
  currentContext?: string;
}

export const DEFAULT_CONTEXT = "default";

export interface ConfigFlags {
  context?: string;
  appmaster?: string;
  resman?: string;
  "cluster-dir"?: string;
  user?: string;
  token?: string;
}

export function configPath(env: Record<string, string | undefined> = process.env): string {
  return env.GALAXY_CONFIG || join(env.HOME || homedir(), ".galaxy", "config");
}

export function readConfigFile(path = configPath()): ConfigFile {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as ConfigFile;
  } catch (e) {
    throw new InvalidError(`cannot read ${path}: ${(e as Error).message}; fix it or run \`galaxy login\``);
  }
}

/** Writes the config with mode 0600 (it holds a token), atomically; the named contexts are kept unless given. */
export function writeConfigFile(cfg: ConfigFile, path = configPath()): void {
  if (!("contexts" in cfg) && existsSync(path)) {
    const old = readConfigFile(path).contexts;
    if (old) cfg = { ...cfg, contexts: old };
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(cfg, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

const list = (s: string | undefined) => (s ? s.split(",").map((x) => x.trim()).filter(Boolean) : undefined);

export function resolveConfig(flags: ConfigFlags, env: Record<string, string | undefined> = process.env): ClientConfig {
  const file = contextOf(readConfigFile(configPath(env)), flags.context ?? env.GALAXY_CONTEXT);
  const am = list(flags.appmaster) ?? list(env.GALAXY_APPMASTER);
  const rm = list(flags.resman) ?? list(env.GALAXY_RESMAN);
  const explicitDir = flags["cluster-dir"] ?? env.GALAXY_CLUSTER_DIR;
  return {
    appmaster: am ?? file.appmaster ?? [],
    resman: rm ?? file.resman ?? [],
    clusterDir: explicitDir ?? file.clusterDir ?? "",
    followLeader: { appmaster: !am || !!explicitDir, resman: !rm || !!explicitDir },
    user: flags.user ?? env.GALAXY_USER ?? file.user ?? "",
    token: flags.token ?? env.GALAXY_TOKEN ?? file.token ?? "",
  };
}

/** The file's settings as the chosen context (flag, GALAXY_CONTEXT, then currentContext) sees them. */
export function contextOf(file: ConfigFile, chosen?: string): Partial<ClientConfig> {
  const name = chosen || file.currentContext || DEFAULT_CONTEXT;
  if (name === DEFAULT_CONTEXT) return file;
  const ctx = file.contexts?.[name];
  if (!ctx) {
    const known = [DEFAULT_CONTEXT, ...Object.keys(file.contexts ?? {})].join(", ");
    throw new InvalidError(`no context ${JSON.stringify(name)} in ${configPath()}; known: ${known} (see \`galaxy config get-contexts\`)`);
  }
  return ctx;
}
