package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestPlainLinesOffTerminal: on a buffer (not a terminal) a bar writes a
// plain line at the start, then one per Interval, and one at the end; no
// carriage returns.
func TestPlainLinesOffTerminal(t *testing.T) {
	var out bytes.Buffer
	b := New(&out, "train")
	clock := b.start
	b.now = func() time.Time { return clock }
	for i := 0; i <= 10000; i++ {
		clock = clock.Add(10 * time.Millisecond) // 100 s in all
		b.Update(i, 10000, "")
	}
	b.Update(10000, 10000, "") // a repeated final update writes nothing
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if strings.Contains(out.String(), "\r") || len(lines) < 10 || len(lines) > 12 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	if !strings.HasPrefix(lines[0], "train: 0% (0/10000)") || !strings.HasPrefix(lines[len(lines)-1], "train: 100% (10000/10000)") {
		t.Fatalf("first %q last %q", lines[0], lines[len(lines)-1])
	}
}

func TestTerminalBar(t *testing.T) {
	var out bytes.Buffer
	b := New(&out, "setup")
	b.tty = true
	b.Update(5, 10, "step 5")
	b.Update(10, 10, "")
	if s := out.String(); !strings.Contains(s, "\rsetup [===============               ]  50% step 5") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("%q", s)
	}
	if IsTerminal(&out) {
		t.Fatal("a buffer is not a terminal")
	}
}
