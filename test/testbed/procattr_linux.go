package testbed

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill a service when the test process that
// started it dies (a test killed by a timeout runs no cleanup): an orphaned
// server would keep its port, its data directory, and any file descriptor
// it inherited, such as a lock held around the test run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
