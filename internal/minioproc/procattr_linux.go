package minioproc

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the server when the process that
// started it dies without cleaning up (a test killed by its timeout, a
// sandbox killed with -9): an orphaned server would keep its port, its
// data directory, and any file descriptor it inherited, such as a lock
// held around the test run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
