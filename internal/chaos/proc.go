package chaos

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one node process: `veritensor start --home <home>` (or whatever
// Options.NodeCommand builds), its output in logs/node<i>.<run>.log.
type proc struct {
	i    int
	home string
	logs string

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	run      int  // how many times it was started
	expected bool // the runner killed it (an exit is not a failure)
	paused   bool
	exits    []string // unexpected exits, for the report
	logFiles []string
}

func (p *proc) start(build func(home string) *exec.Cmd) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("node %d already running", p.i)
	}
	p.run++
	lf := filepath.Join(p.logs, fmt.Sprintf("node%d.%d.log", p.i, p.run))
	f, err := os.Create(lf)
	if err != nil {
		return err
	}
	cmd := build(p.home)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start node %d: %w", p.i, err)
	}
	p.cmd, p.done, p.expected, p.paused = cmd, make(chan struct{}), false, false
	p.logFiles = append(p.logFiles, lf)
	done := p.done
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		if !p.expected {
			p.exits = append(p.exits, fmt.Sprintf("node %d exited by itself (run %d, %s): %v", p.i, p.run, lf, err))
		}
		if p.cmd == cmd {
			p.cmd = nil
		}
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// running reports whether the process is alive (paused counts as alive).
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// healthy reports whether the process runs and is not paused.
func (p *proc) healthy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !p.paused
}

func (p *proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("node %d is not running", p.i)
	}
	switch sig {
	case syscall.SIGSTOP:
		p.paused = true
	case syscall.SIGCONT:
		p.paused = false
	case syscall.SIGKILL, syscall.SIGTERM:
		p.expected = true
	}
	return p.cmd.Process.Signal(sig)
}

// kill sends SIGKILL (resuming a paused process is not needed for that) and
// waits for the exit.
func (p *proc) kill() {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if p.signal(syscall.SIGKILL) == nil {
		<-done
	}
}

// stop ends the process gracefully (SIGTERM, then SIGKILL after 10 s).
func (p *proc) stop() {
	p.mu.Lock()
	done, paused := p.done, p.paused
	p.mu.Unlock()
	if paused {
		_ = p.signal(syscall.SIGCONT)
	}
	if p.signal(syscall.SIGTERM) != nil {
		return
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// exited returns a channel closed when the current process ends (nil when
// none runs).
func (p *proc) exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	return p.done
}

// takeExits returns and clears the unexpected exits seen so far.
func (p *proc) takeExits() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.exits
	p.exits = nil
	return e
}

// panicMarkers are log lines that mean a node failed rather than stopped:
// a Go panic or runtime fatal error, or CometBFT's consensus failure.
var panicMarkers = []string{"panic:", "fatal error:", "CONSENSUS FAILURE"}

// scanLog returns the first panic marker line of a log file ("" when none)
// and whether the log reports a full disk. A panic CometBFT recovered from
// while reading a peer's message (it stops that peer) is not a marker.
func scanLog(path string) (string, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var first string
	var noSpace bool
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "no space left on device") {
			noSpace = true
		}
		if first != "" || strings.Contains(line, "recovered from panic") {
			// CometBFT's p2p layer turns a reactor's panic on a peer's
			// message into a stopped peer ("Stopping peer for error ...
			// recovered from panic"): the node keeps running.
			continue
		}
		for _, m := range panicMarkers {
			if strings.Contains(line, m) {
				first = line
				break
			}
		}
	}
	return first, noSpace, sc.Err()
}

// consensusFailed reports whether the current run's log shows CometBFT's
// consensus failure.
func (p *proc) consensusFailed() bool {
	p.mu.Lock()
	lf := ""
	if n := len(p.logFiles); n > 0 {
		lf = p.logFiles[n-1]
	}
	p.mu.Unlock()
	b, err := os.ReadFile(lf)
	return err == nil && strings.Contains(string(b), "CONSENSUS FAILURE")
}
