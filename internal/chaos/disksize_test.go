package chaos

import (
	"testing"
	"time"
)

// The disk-full node's tmpfs must outlast the run: a 30-minute run at the
// default open-loop load filled the old fixed 256 MiB tmpfs by itself after
// 4 minutes (node 1 halted for good, SIGBUS on restart), so the size grows
// with the duration and the offered rate.
func TestDefaultDiskSizeCoversTheRun(t *testing.T) {
	// ~60 MB a minute is the most a node wrote at 1,000 tx/s offered.
	const perMin = 60 << 20
	for _, c := range []struct {
		d    time.Duration
		rate float64
	}{{90 * time.Second, 1000}, {5 * time.Minute, 1000}, {30 * time.Minute, 1000}, {30 * time.Minute, 3000}, {10 * time.Minute, 100}} {
		got := DefaultDiskSize(c.d, c.rate)
		scale := c.rate / 1000
		if scale < 1 {
			scale = 1
		}
		need := int64(float64(perMin)*scale*c.d.Minutes()) + 256<<20
		if got < need {
			t.Errorf("DefaultDiskSize(%s, %.0f) = %d MiB, want >= %d MiB", c.d, c.rate, got>>20, need>>20)
		}
	}
	o := Options{Duration: 30 * time.Minute}
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	if o.DiskSize != DefaultDiskSize(30*time.Minute, 1000) {
		t.Fatalf("defaults: DiskSize %d", o.DiskSize)
	}
}
