package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// completionCommand prints the shell completion scripts. The candidates
// come from citadel itself (urfave/cli's --generate-bash-completion), so
// the scripts never go stale when commands or flags change.
func completionCommand(e *env) *cli.Command {
	script := func(name, text string) *cli.Command {
		return &cli.Command{Name: name, Usage: "print the " + name + " completion script",
			Action: func(c *cli.Context) error {
				if err := requireArgs(c, 0, 0, ""); err != nil {
					return err
				}
				_, err := fmt.Fprint(e.stdout, text)
				return err
			}}
	}
	return &cli.Command{
		Name:  "completion",
		Usage: "shell completion: source <(citadel completion bash), or citadel completion zsh > \"${fpath[1]}/_citadel\"",
		Subcommands: []*cli.Command{
			script("bash", bashCompletion),
			script("zsh", zshCompletion),
		},
	}
}

// bashCompletion asks citadel for the candidates of the words typed so
// far; a word starting with - asks for the flags.
const bashCompletion = `# bash completion for citadel: source <(citadel completion bash)
_citadel_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local -a words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
  local candidates
  if [[ "$cur" == -* ]]; then
    candidates=$("${COMP_WORDS[0]}" "${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    candidates=$("${COMP_WORDS[0]}" "${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}
complete -o default -o bashdefault -F _citadel_complete citadel
`

// zshCompletion does the same for zsh, falling back to file names (a
// config file, a dataset file) when citadel offers nothing.
const zshCompletion = `#compdef citadel
# zsh completion for citadel: citadel completion zsh > "${fpath[1]}/_citadel"
_citadel() {
  local cur="${words[CURRENT]}"
  local -a args=("${(@)words[2,CURRENT-1]}") candidates
  if [[ "$cur" == -* ]]; then
    candidates=("${(@f)$(${words[1]} "${args[@]}" "$cur" --generate-bash-completion 2>/dev/null)}")
  else
    candidates=("${(@f)$(${words[1]} "${args[@]}" --generate-bash-completion 2>/dev/null)}")
  fi
  candidates=(${candidates:#})
  if (( ${#candidates} )); then
    compadd -a candidates
  else
    _files
  fi
}
compdef _citadel citadel
`
