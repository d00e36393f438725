package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestShellCompletion (issue 13): the candidates citadel gives for the
// words typed (urfave/cli's --generate-bash-completion reads os.Args, so
// this runs the built binary), and the bash script completing through
// them in a real bash.
func TestShellCompletion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"completion", "zsh"}, []string{"#compdef citadel", "compdef _citadel citadel"}},
		{[]string{"--generate-bash-completion"}, []string{"backup\n", "restore\n", "cluster\n", "completion\n"}},
		{[]string{"backup", "--generate-bash-completion"}, []string{"run\n", "prune\n", "pitr\n"}},
		{[]string{"restore", "--to", "--generate-bash-completion"}, []string{"--to-rs\n", "--to-uri\n"}},
	} {
		code, out, errOut := citadel(t, nil, tc.args...)
		if code != 0 {
			t.Errorf("citadel %s: exit %d\n%s", strings.Join(tc.args, " "), code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("citadel %s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here: the script itself is not run")
	}
	script := `source <(citadel completion bash)
COMP_WORDS=(citadel backup p); COMP_CWORD=2; _citadel_complete; echo "words: ${COMPREPLY[*]}"
COMP_WORDS=(citadel restore --to); COMP_CWORD=2; _citadel_complete; echo "flags: ${COMPREPLY[*]}"`
	cmd := exec.Command(bash, "--norc", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(citadelBin(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	for _, w := range []string{"words: prune pitr\n", "flags: --to-rs --to-uri\n"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("bash completion printed %q, want a line %q", out, w)
		}
	}
}
