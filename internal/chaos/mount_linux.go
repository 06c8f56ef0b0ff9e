//go:build linux

package chaos

import (
	"fmt"
	"syscall"
)

// mountTmpfs mounts a tmpfs of size bytes at dir (root only).
func mountTmpfs(dir string, size int64) error {
	return syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size))
}

func unmount(dir string) error { return syscall.Unmount(dir, syscall.MNT_DETACH) }

// sysProcAttr puts a node in its own process group (a signal to the runner's
// terminal group does not reach it) and kills it if the runner dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
