//go:build !linux

package chaos

import (
	"errors"
	"syscall"
)

func mountTmpfs(string, int64) error { return errors.New("tmpfs mounts need Linux") }

func unmount(string) error { return nil }

func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
