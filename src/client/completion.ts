// Shell completion scripts generated from the command registry: commands (with topics as words), their flags, and
// the ids of their first argument (jobs, pods, agents, asked of the cluster by `galaxy completion ids KIND`).

export type IdKind = "job" | "pod" | "agent";

export interface CompletionCommand {
  id: string; // "agent offline"
  flags: string[]; // "--json", "--file -f"
  /** What the first argument names (its ids are completed). */
  arg?: IdKind;
}

/** The kind of id an argument names, from its name (job, pod, endpoint). */
export function idKind(argName: string | undefined): IdKind | undefined {
  if (argName === "job") return "job";
  if (argName === "pod") return "pod";
  if (argName === "endpoint") return "agent";
  return undefined;
}

export function completionScript(shell: "bash" | "zsh" | "fish", bin: string, commands: CompletionCommand[]): string {
  if (shell === "fish") return fishScript(bin, commands);
  const fn = `_${bin.replace(/[^A-Za-z0-9]/g, "_")}_complete`;
  const table = commands
    .map((c) => `    "${c.id}") flags="${c.flags.join(" ").replace(/"/g, "")}"${c.arg ? `; kind=${c.arg}` : ""} ;;`)
    .join("\n");
  const words = [...new Set(commands.map((c) => c.id))].join("\n");
  const body = `${fn}() {
  local cur line ids flags id kind
  cur="\${COMP_WORDS[COMP_CWORD]}"
  line="\${COMP_WORDS[*]:1:COMP_CWORD-1}"
  ids='${words}'
  # the longest command id the typed words start with
  id=""
  while IFS= read -r c; do
    case "$line " in "$c "*) [ \${#c} -gt \${#id} ] && id="$c" ;; esac
  done <<< "$ids"
  flags=""
  kind=""
  case "$id" in
${table}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
  else
    local next=""
    while IFS= read -r c; do
      case "$c" in "$line"*) rest="\${c#"$line"}"; rest="\${rest# }"; next="$next \${rest%% *}" ;; esac
    done <<< "$ids"
    # the command is complete and its first argument names a job, pod or agent: ask the cluster
    if [ -n "$kind" ] && [ "$line" = "$id" ]; then next="$next $(${bin} completion ids "$kind" 2>/dev/null)"; fi
    COMPREPLY=( $(compgen -W "$next" -- "$cur") )
  fi
}
`;
  if (shell === "bash") return `# ${bin} completion for bash: source <(${bin} completion bash)\n${body}complete -o default -F ${fn} ${bin}\n`;
  return `#compdef ${bin}\n# ${bin} completion for zsh (bash-style through bashcompinit)\nautoload -U +X bashcompinit && bashcompinit\n${body}complete -o default -F ${fn} ${bin}\n`;
}

function fishScript(bin: string, commands: CompletionCommand[]): string {
  const out = [`# ${bin} completion for fish: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish`, `complete -c ${bin} -f`];
  const top = [...new Set(commands.map((c) => c.id.split(" ")[0]!))];
  out.push(`complete -c ${bin} -n __fish_use_subcommand -a '${top.join(" ")}'`);
  const topics = new Map<string, string[]>();
  for (const c of commands) {
    const [t, sub] = c.id.split(" ");
    if (sub) topics.set(t!, [...(topics.get(t!) ?? []), sub]);
  }
  for (const [t, subs] of topics) out.push(`complete -c ${bin} -n '__fish_seen_subcommand_from ${t}' -a '${subs.join(" ")}'`);
  for (const c of commands) {
    const last = c.id.split(" ").at(-1)!;
    for (const f of c.flags) {
      const [long, short] = f.split(" ");
      out.push(`complete -c ${bin} -n '__fish_seen_subcommand_from ${last}' -l ${long!.slice(2)}${short ? ` -s ${short.slice(1)}` : ""}`);
    }
    if (c.arg) out.push(`complete -c ${bin} -n '__fish_seen_subcommand_from ${last}' -a '(${bin} completion ids ${c.arg} 2>/dev/null)'`);
  }
  return out.join("\n") + "\n";
}
