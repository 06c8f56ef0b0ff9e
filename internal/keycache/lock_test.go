//go:build unix

package keycache

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

const (
	childDirEnv = "KEYCACHE_TEST_CHILD_DIR"
	lockArch    = "16-4-3"
)

// TestChildGet is the body of the child processes of
// TestConcurrentProcessesSetUpOnce; it does nothing in a normal run.
func TestChildGet(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("helper process for TestConcurrentProcessesSetUpOnce")
	}
	a, _ := zk.ParseArch(lockArch)
	c, _ := New(dir)
	k, err := c.Get(a, func(s string) {
		if strings.HasPrefix(s, "wait for") {
			os.Stdout.WriteString("WAITING\n")
		} else if s == "compile" {
			os.Stdout.WriteString("SETUP\n")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("VK " + string(rune('0'+k.VKHash[0]%10)) + "\n")
}

// TestConcurrentProcessesSetUpOnce starts four processes asking for the same
// missing circuit while this process holds the setup lock, waits until every
// one of them is blocked on it, then releases it without storing keys: one
// process must run the setup and the other three must load its keys.
func TestConcurrentProcessesSetUpOnce(t *testing.T) {
	dir := t.TempDir()
	a, _ := zk.ParseArch(lockArch)
	c, _ := New(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockFile(c.LockPath(a), func() { t.Fatal("lock taken before any child ran") })
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	type child struct {
		cmd   *exec.Cmd
		lines []string
	}
	children := make([]*child, n)
	var waiting sync.WaitGroup
	var done sync.WaitGroup
	waiting.Add(n)
	for i := range children {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestChildGet$", "-test.count=1")
		cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ch := &child{cmd: cmd}
		children[i] = ch
		done.Add(1)
		go func() {
			defer done.Done()
			sc := bufio.NewScanner(out)
			signalled := false
			for sc.Scan() {
				ch.lines = append(ch.lines, sc.Text())
				if sc.Text() == "WAITING" && !signalled {
					signalled = true
					waiting.Done()
				}
			}
			if !signalled {
				waiting.Done() // exited without waiting: counted below
			}
		}()
	}
	waiting.Wait()
	unlock()
	done.Wait()
	setups, vks := 0, map[string]bool{}
	for i, ch := range children {
		if err := ch.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v (%v)", i, err, ch.lines)
		}
		joined := strings.Join(ch.lines, " ")
		if !strings.Contains(joined, "WAITING") {
			t.Fatalf("child %d did not wait for the lock: %v", i, ch.lines)
		}
		if strings.Contains(joined, "SETUP") {
			setups++
		}
		for _, l := range ch.lines {
			if strings.HasPrefix(l, "VK ") {
				vks[l] = true
			}
		}
	}
	if setups != 1 {
		t.Fatalf("%d processes ran the setup, want 1", setups)
	}
	if len(vks) != 1 {
		t.Fatalf("processes ended with different verifying keys: %v", vks)
	}
	if _, err := c.Load(a); err != nil {
		t.Fatalf("entry after the race: %v", err)
	}
}
