//go:build unix

package zk_test

import (
	"syscall"
	"time"
)

// cpuTime is this process's user+system CPU time: a benchmark reports it per
// operation because wall time on a shared machine depends on the load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
