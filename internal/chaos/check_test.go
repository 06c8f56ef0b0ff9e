package chaos

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScanLogFindsFailures: the log scan flags a Go panic, a runtime fatal
// error and CometBFT's consensus failure, and tells a full disk apart.
func TestScanLogFindsFailures(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		log, want string
		noSpace   bool
	}{
		{"E[x] Stopping peer for error err=EOF\n", "", false},
		{"E[x] Stopping peer for error module=p2p err=\"recovered from panic: rejected msg on chID 0x40: unsolicited BlockResponse from peer 5d15\"\n", "", false},
		{"ok\npanic: runtime error: index out of range\ngoroutine 1\n", "panic: runtime error: index out of range", false},
		{"fatal error: concurrent map writes\n", "fatal error: concurrent map writes", false},
		{"E[x] CONSENSUS FAILURE!!! err=\"write /h/data/x: no space left on device\"\n", "E[x] CONSENSUS FAILURE!!! err=\"write /h/data/x: no space left on device\"", true},
	}
	for i, c := range cases {
		p := filepath.Join(dir, "l")
		if err := os.WriteFile(p, []byte(c.log), 0o644); err != nil {
			t.Fatal(err)
		}
		got, noSpace, err := scanLog(p)
		if err != nil || got != c.want || noSpace != c.noSpace {
			t.Errorf("case %d: got %q %v %v, want %q %v", i, got, noSpace, err, c.want, c.noSpace)
		}
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{4 * time.Second, time.Second, 3 * time.Second, 2 * time.Second}
	if p := percentile(ds, 50); p != 2 {
		t.Errorf("p50 = %v, want 2", p)
	}
	if p := percentile(ds, 100); p != 4 {
		t.Errorf("max = %v, want 4", p)
	}
	if p := percentile(nil, 50); p != 0 {
		t.Errorf("empty p50 = %v", p)
	}
}

// TestReportNamesFailures: a failed check's line names the fault, the node
// and the height, and the text ends in FAIL.
func TestReportNamesFailures(t *testing.T) {
	rep := &Report{Nodes: 4, Seed: 3, Faults: []FaultStats{{Fault: Kill, Count: 1, Lost: 1}},
		Failures: []Failure{{Fault: "kill#1", Height: 12, Node: 3, Check: "lost-tx", Msg: "transfer AB is missing"}}}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"after kill#1: node 3, height 12: lost-tx: transfer AB is missing", "FAIL: 1 checks failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
