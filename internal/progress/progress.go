// Package progress reports the progress of a long step (training, setup,
// proving) on a writer: a bar redrawn in place on a terminal, plain lines
// every Interval otherwise, so that logs and pipes get a few readable lines
// instead of thousands of carriage returns.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
)

// Interval is how often a Bar writes a line when its writer is not a
// terminal.
const Interval = 10 * time.Second

// redraw is how often a Bar redraws on a terminal.
const redraw = 100 * time.Millisecond

// Bar reports done/total of one step named What.
type Bar struct {
	w     io.Writer
	what  string
	tty   bool
	start time.Time
	last  time.Time
	ended bool
	now   func() time.Time
}

// New starts a bar for what on w; it draws in place only when w is a
// terminal (IsTerminal).
func New(w io.Writer, what string) *Bar {
	b := &Bar{w: w, what: what, tty: IsTerminal(w), now: time.Now}
	b.start = b.now()
	return b
}

// IsTerminal reports whether w is a terminal (a character device such as a
// console, not a file, pipe or buffer).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Update reports done of total with an optional note (a loss, a step). On a
// terminal it redraws at most every 100 ms; otherwise it writes a line at
// the first update, then at most every Interval; both always report
// done == total, once, ending the line.
func (b *Bar) Update(done, total int, note string) {
	if b.ended {
		return
	}
	now := b.now()
	first := b.last.IsZero()
	finished := done >= total
	gap := redraw
	if !b.tty {
		gap = Interval
	}
	if !finished && !first && now.Sub(b.last) < gap {
		return
	}
	b.last = now
	pct := done * 100 / max(total, 1)
	elapsed := now.Sub(b.start).Round(time.Second)
	if note != "" {
		note = " " + note
	}
	if b.tty {
		const width = 30
		fill := min(done*width/max(total, 1), width)
		fmt.Fprintf(b.w, "\r%s [%s%s] %3d%%%s %s ", b.what, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), pct, note, elapsed)
		if finished {
			fmt.Fprintln(b.w)
		}
	} else {
		fmt.Fprintf(b.w, "%s: %d%% (%d/%d)%s %s\n", b.what, pct, done, total, note, elapsed)
	}
	b.ended = finished
}
