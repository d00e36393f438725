//go:build !linux

package sandbox

import "os/exec"

// dieWithParent has no portable equivalent outside Linux: the sandbox
// stops its servers itself on exit.
func dieWithParent(*exec.Cmd) {}
