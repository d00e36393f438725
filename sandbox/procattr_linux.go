package sandbox

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill a MinIO server when the sandbox
// dies without cleaning up (SIGKILL): no server outlives it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
