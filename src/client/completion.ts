// Shell completion scripts generated from the command registry: commands (with topics as words) and their flags.

export interface CompletionCommand {
  id: string; // "agent offline"
  flags: string[]; // "--json", "--file -f"
}

export function completionScript(shell: "bash" | "zsh", bin: string, commands: CompletionCommand[]): string {
  const fn = `_${bin.replace(/[^A-Za-z0-9]/g, "_")}_complete`;
  const table = commands
    .map((c) => `    "${c.id}") flags="${c.flags.join(" ").replace(/"/g, "")}" ;;`)
    .join("\n");
  const words = [...new Set(commands.map((c) => c.id))].join("\n");
  const body = `${fn}() {
  local cur line ids flags id
  cur="\${COMP_WORDS[COMP_CWORD]}"
  line="\${COMP_WORDS[*]:1:COMP_CWORD-1}"
  ids='${words}'
  # the longest command id the typed words start with
  id=""
  while IFS= read -r c; do
    case "$line " in "$c "*) [ \${#c} -gt \${#id} ] && id="$c" ;; esac
  done <<< "$ids"
  flags=""
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
    COMPREPLY=( $(compgen -W "$next" -- "$cur") )
  fi
}
`;
  if (shell === "bash") return `# ${bin} completion for bash: source <(${bin} completion bash)\n${body}complete -o default -F ${fn} ${bin}\n`;
  return `#compdef ${bin}\n# ${bin} completion for zsh (bash-style through bashcompinit)\nautoload -U +X bashcompinit && bashcompinit\n${body}complete -o default -F ${fn} ${bin}\n`;
}
