//go:build !unix

package zk_test

import "time"

// cpuTime is unavailable here; benchmarks then report 0 CPU ms/op.
func cpuTime() time.Duration { return 0 }
