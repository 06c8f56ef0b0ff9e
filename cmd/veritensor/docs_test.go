package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// The operator docs are tested as written: their ```sh blocks, in the order
// an operator follows them, make a trial subnet. TestDocCommandsParse (fast,
// in `make test`) parses every veritensor command line they run;
// TestOperatorDocs (`make docs-test`, minutes) runs them against a loopback
// network until the first miner payout. Other fences (```text, ```toml,
// ```json) are examples, never run.

// docBlock is one ```sh block of a doc, under its last "## " heading.
type docBlock struct {
	file, heading, text string
}

// docSection selects the sh blocks of file under headings starting with
// one of prefixes (all when none).
type docSection struct {
	file     string
	prefixes []string
}

// operatorPlan is the order an operator follows: create-a-subnet up to its
// step 3, the validator page, the miner page, then create-a-subnet's step 5.
// Step 0 (building the binary) is the test's own business.
var operatorPlan = []docSection{
	{"create-a-subnet.md", []string{"## 1.", "## 2.", "## 3."}},
	{"run-a-validator.md", nil},
	{"run-a-miner.md", nil},
	{"create-a-subnet.md", []string{"## 5."}},
}

const docsDir = "../../docs"

// shBlocks reads the ```sh blocks of a markdown file (fences may be
// indented, as in a list item).
func shBlocks(t *testing.T, file string) []docBlock {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	var out []docBlock
	heading, indent := "", ""
	var cur *strings.Builder // the open fence's text; nil outside fences
	isSh := false
	for _, line := range strings.Split(string(b), "\n") {
		trim := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(line, "## "):
			heading = line
		case cur == nil && strings.HasPrefix(trim, "```"):
			cur, isSh = &strings.Builder{}, strings.TrimPrefix(trim, "```") == "sh"
			indent = line[:len(line)-len(strings.TrimLeft(line, " "))]
		case cur != nil && trim == "```":
			if isSh {
				out = append(out, docBlock{file: file, heading: heading, text: cur.String()})
			}
			cur = nil
		case cur != nil:
			cur.WriteString(strings.TrimPrefix(line, indent) + "\n")
		}
	}
	if cur != nil {
		t.Fatalf("%s: unclosed code fence", file)
	}
	return out
}

// operatorScript is the plan's blocks as one bash script, each block
// preceded by a comment naming it.
func operatorScript(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	for _, sec := range operatorPlan {
		n := 0
		for _, bl := range shBlocks(t, sec.file) {
			keep := len(sec.prefixes) == 0
			for _, p := range sec.prefixes {
				keep = keep || strings.HasPrefix(bl.heading, p)
			}
			if keep {
				fmt.Fprintf(&sb, "# --- %s %s\n%s", bl.file, bl.heading, bl.text)
				n++
			}
		}
		if n == 0 {
			t.Fatalf("%s %v: no sh blocks", sec.file, sec.prefixes)
		}
	}
	return sb.String()
}

// fakeAddress is what the stub prints for `keys show NAME -a`.
const fakeAddress = "00112233445566778899aabbccddeeff00112233"

// TestDocCommandsParse runs the operator docs' shell blocks with a stub
// veritensor that records its arguments, then parses every recorded
// command line with the real command tree (actions replaced by argument
// checks): every documented command, flag and argument count is accepted.
func TestDocCommandsParse(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "argv")
	if err := os.Mkdir(rec, 0o755); err != nil {
		t.Fatal(err)
	}
	stub := `
veritensor() {
  printf '%s\0' "$@" > "$(mktemp "$REC/argv.XXXXXX")"
  case " $* " in
    *" -a "*|*" --address "*) echo ` + fakeAddress + ` ;;
    *" ceremony run "*) echo '  "phase2": 1,' ;;
    *" emissions "*) echo "  uid 1    ` + fakeAddress + ` miner 7 validator 0" ;;
  esac
  return 0
}
sleep() { :; }
`
	script := stub + "set -e\ncd \"$WORK\"\n" + operatorScript(t) + "wait\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "REC="+rec, "WORK="+dir, "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the docs' shell blocks fail with a stub veritensor: %v\n%s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(rec, "argv.*"))
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00"))
	}
	if len(lines) < 30 {
		t.Fatalf("only %d veritensor command lines in the docs", len(lines))
	}
	for _, args := range lines {
		if err := parseOnly(append([]string{"veritensor"}, args...)); err != nil {
			t.Errorf("veritensor %s: %v", strings.Join(args, " "), err)
		}
	}
	t.Logf("%d documented command lines parse", len(lines))
}

// parseOnly parses args with the real command tree, every action replaced
// by a check of the positional argument count against its ArgsUsage.
func parseOnly(args []string) error {
	app := newApp()
	var b bytes.Buffer
	app.Writer, app.ErrWriter = &b, &b
	var ran bool
	var walk func([]*cli.Command)
	walk = func(cs []*cli.Command) {
		for _, c := range cs {
			if c.Action != nil {
				c.Action = func(ctx *cli.Context) error {
					ran = true
					lo, hi := argCounts(ctx.Command.ArgsUsage)
					if n := ctx.NArg(); n < lo || n > hi {
						return fmt.Errorf("%d arguments, want %d..%d (%s)", n, lo, hi, ctx.Command.ArgsUsage)
					}
					return nil
				}
			}
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
	if err := run(app, args); err != nil {
		return err
	}
	if !ran && !strings.Contains(strings.Join(args, " "), "--help") {
		return fmt.Errorf("no command ran (unknown subcommand?):\n%s", b.String())
	}
	return nil
}

// argCounts is the fewest and most positional arguments an ArgsUsage such
// as "ID UID|HOTKEY" or "[HEIGHT]" allows.
func argCounts(usage string) (lo, hi int) {
	for _, f := range strings.Fields(usage) {
		hi++
		if !strings.HasPrefix(f, "[") {
			lo++
		}
	}
	return lo, hi
}

func TestArgCounts(t *testing.T) {
	for u, want := range map[string][2]int{"": {0, 0}, "ID": {1, 1}, "[HEIGHT]": {0, 1}, "ID UID|HOTKEY": {2, 2}} {
		if lo, hi := argCounts(u); lo != want[0] || hi != want[1] {
			t.Errorf("%q: %d..%d", u, lo, hi)
		}
	}
}

// TestOperatorDocs runs the operator docs' shell blocks, as an operator
// would in one shell on a fresh machine (a new HOME and working directory;
// only the Groth16 key cache and Go's module cache are the machine's), with
// the docs' ports moved to free ones, until the first miner payout, and
// prints the time from `veritensor testnet` to that payout. It takes
// minutes: `make docs-test` runs it (VERITENSOR_DOCS_TEST=1).
func TestOperatorDocs(t *testing.T) {
	if os.Getenv("VERITENSOR_DOCS_TEST") == "" {
		t.Skip("minutes long: run with make docs-test (VERITENSOR_DOCS_TEST=1)")
	}
	work := t.TempDir()
	home := filepath.Join(work, "home")
	bin := filepath.Join(work, "bin")
	for _, d := range []string{home, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "veritensor"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	goEnv := func(k string) string {
		out, _ := exec.Command("go", "env", k).Output()
		return strings.TrimSpace(string(out))
	}
	keysDir := os.Getenv("VERITENSOR_KEYS_DIR")
	if keysDir == "" {
		if c, err := os.UserCacheDir(); err == nil {
			keysDir = filepath.Join(c, "veritensor", "keys")
		}
	}
	goBin := filepath.Dir(must(exec.LookPath("go")))
	env := []string{
		"HOME=" + home, "PATH=" + bin + ":" + goBin + ":/usr/local/bin:/usr/bin:/bin",
		"VERITENSOR_KEYS_DIR=" + keysDir, "GOMODCACHE=" + goEnv("GOMODCACHE"), "GOCACHE=" + goEnv("GOCACHE"),
		"GOPATH=" + goEnv("GOPATH"), "GOPROXY=" + goEnv("GOPROXY"), "GOFLAGS=-modcacherw", "TMPDIR=" + work,
	}

	script := operatorScript(t)
	base := freePortBlock(t, 32)
	miner := freePortBlock(t, 1)
	script = strings.NewReplacer("26656", strconv.Itoa(base), "26657", strconv.Itoa(base+1),
		"8091", strconv.Itoa(miner)).Replace(script)
	script = strings.Replace(script, "veritensor testnet", "__t0=$(date +%s%N)\nveritensor testnet", 1)
	script = "set -e\ncd \"$WORK\"\n" + script +
		"echo \"FIRST-PAYOUT-MS $(( ($(date +%s%N) - __t0) / 1000000 ))\"\n"
	if err := os.WriteFile(filepath.Join(work, "operator.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(work, "operator.sh"))
	cmd.Dir = work
	cmd.Env = append(env, "WORK="+work)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		err = cmd.Wait()
	}
	// Stop the daemons and nodes the script left running in the background.
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		time.Sleep(2 * time.Second)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		t.Errorf("the operator docs failed after %s: %v\n%s", time.Since(start).Round(time.Second), err, tail(out.String(), 60))
		for _, log := range []string{"node0.log", "validator.log", "miner.log"} {
			b, _ := os.ReadFile(filepath.Join(work, log))
			t.Logf("--- %s:\n%s", log, tail(string(b), 40))
		}
		return
	}
	m := regexp.MustCompile(`FIRST-PAYOUT-MS (\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no payout time in the output:\n%s", tail(out.String(), 40))
	}
	ms, _ := strconv.Atoi(m[1])
	t.Logf("%s", tail(out.String(), 25))
	t.Logf("first miner payout %s after veritensor testnet (docs/create-a-subnet.md as written; whole run %s)",
		(time.Duration(ms) * time.Millisecond).Round(time.Second), time.Since(start).Round(time.Second))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// freePortBlock is a base port whose n consecutive ports are free now.
func freePortBlock(t *testing.T, n int) int {
	t.Helper()
	for range 100 {
		base := 30000 + 10*rand.IntN(2500)
		ok := true
		for p := base; p < base+n && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port block")
	return 0
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestDocsNameRealCommandsAndFlags: every `veritensor ...` command in the
// docs and the README (code spans and blocks, placeholders and all) names
// an existing command, and every flag it shows exists on that command, so
// a renamed or removed flag cannot linger in prose.
func TestDocsNameRealCommandsAndFlags(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(docsDir, "*.md"))
	files = append(files, "../../README.md")
	app := newApp()
	span := regexp.MustCompile("`([^`\n]*veritensor [^`\n]*)`")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cmds []string
		inBlock := false
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inBlock = !inBlock
				continue
			}
			if inBlock {
				cmds = append(cmds, line)
				continue
			}
			for _, m := range span.FindAllStringSubmatch(line, -1) {
				cmds = append(cmds, m[1])
			}
		}
		for _, c := range cmds {
			for _, use := range strings.Split(c, "veritensor ")[1:] {
				if err := checkDocCommand(app, strings.Fields(use)); err != nil {
					t.Errorf("%s: `veritensor %s`: %v", filepath.Base(f), strings.TrimSpace(use), err)
				}
				n++
			}
		}
	}
	t.Logf("%d veritensor commands in the docs name real commands and flags", n)
}

// checkDocCommand resolves the command path at the start of words and
// checks every flag among the rest exists on that command.
func checkDocCommand(app *cli.App, words []string) error {
	var leaf *cli.Command
	cmds := app.Commands
	i := 0
	for ; i < len(words); i++ {
		c := findCommand(cmds, words[i])
		if c == nil {
			break
		}
		leaf, cmds = c, c.Subcommands
	}
	if leaf == nil {
		if len(words) > 0 && regexp.MustCompile(`^[a-z]+$`).MatchString(words[0]) && !strings.HasPrefix(words[0], "-") {
			return fmt.Errorf("no command %q", words[0])
		}
		return nil
	}
	for _, w := range words[i:] {
		if w == "|" || w == ";" || w == "&&" || w == "&" || strings.HasPrefix(w, ">") || w == "#" || strings.Contains(w, ")") {
			break // the rest is another command or a comment
		}
		if !strings.HasPrefix(w, "-") || w == "-" || w == "--" || strings.HasPrefix(w, "-[0-9]") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		name = strings.TrimRight(name, ").,:")
		if name == "h" || name == "help" || name == "" {
			continue
		}
		found := false
		for _, fl := range leaf.Flags {
			for _, fn := range fl.Names() {
				found = found || fn == name
			}
		}
		if !found {
			return fmt.Errorf("%s has no flag --%s", leaf.FullName(), name)
		}
	}
	return nil
}
