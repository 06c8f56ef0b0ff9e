package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/validator"
)

// errCase is one daemon invocation that must fail before touching the
// network, with an error that names the problem.
type errCase struct {
	name string
	args []string
	// want is a substring of the error; is, when set, must be in its chain.
	want string
	is   error
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, tc.args...)
			if err == nil {
				t.Fatalf("succeeded:\n%s", out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %q is not %v", err, tc.is)
			}
			if strings.Contains(out, "miner ready on") || strings.Contains(out, `"event": "ready"`) {
				t.Fatalf("reported ready:\n%s", out)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMinerFlagErrors: every bad flag, config file or key fails with an
// error naming the key, before any network access (the node given is an
// address nothing listens on, which the miner would retry forever).
func TestMinerFlagErrors(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	base := []string{"miner", "--home", home, "--node", "http://127.0.0.1:1", "--model", shippedModel}
	with := func(extra ...string) []string { return append(append([]string(nil), base...), extra...) }
	cases := []errCase{
		{"no model", []string{"miner", "--home", home, "--node", "http://127.0.0.1:1"}, "model", miner.ErrConfig},
		{"zero workers", with("--workers", "0"), "workers", miner.ErrConfig},
		{"queue", with("--queue", "0"), "queue", miner.ErrConfig},
		{"listen without port", with("--listen", "localhost"), "listen", miner.ErrConfig},
		{"node scheme", with("--node", "ftp://127.0.0.1:1"), "node", miner.ErrConfig},
		{"subnet out of range", with("--subnet", "70000"), "subnet", miner.ErrConfig},
		{"unknown behavior", with("--behavior", "evil"), "behavior", miner.ErrConfig},
		{"forger without model", with("--behavior", "forger"), "forge-model", miner.ErrConfig},
		{"copycat without victim", with("--behavior", "copycat"), "copy-hotkey", miner.ErrConfig},
		{"advertise not a URL", with("--advertise", "nope"), "advertise", miner.ErrConfig},
		{"small clock skew", with("--clock-skew", "1ms"), "clock-skew", miner.ErrConfig},
		{"flag not a number", with("--workers", "many"), "workers", nil},
		{"flag not a duration", with("--poll", "soon"), "poll", nil},
		{"unknown flag", with("--colour", "red"), "colour", nil},
		{"output format", with("-o", "yaml"), "unknown output format", nil},
		{"config missing", with("--config", filepath.Join(dir, "none.toml")), "none.toml", miner.ErrConfig},
		{"config unknown key", with("--config", writeFile(t, dir, "k.toml", "colour = \"red\"\n")), `unknown key "colour"`, miner.ErrConfig},
		{"config bad line", with("--config", writeFile(t, dir, "l.toml", "workers\n")), "key = value", miner.ErrConfig},
		{"config bad value", with("--config", writeFile(t, dir, "v.toml", "workers = lots\n")), "workers", miner.ErrConfig},
		{"json config unknown key", with("--config", writeFile(t, dir, "k.json", `{"colour":"red"}`)), "colour", miner.ErrConfig},
		// Valid settings, but no hotkey in the (empty) keyring: a clear error
		// naming the key, still before the node is contacted.
		{"hotkey not in keyring", with(), `hotkey "hotkey"`, nil},
	}
	runErrCases(t, cases)
}

// TestValidatorRunFlagErrors: the same for validator run (its config file
// takes the miner's formats, errors at line:column) and validator report.
func TestValidatorRunFlagErrors(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	base := []string{"validator", "run", "--home", home, "--node", "http://127.0.0.1:1"}
	with := func(extra ...string) []string { return append(append([]string(nil), base...), extra...) }
	cases := []errCase{
		{"unknown dataset", with("--dataset", "cifar"), "dataset", validator.ErrConfig},
		{"no challenges", with("--graded", "0", "--decoys", "0"), "graded", validator.ErrConfig},
		{"latency target past timeout", with("--latency-target", "10s", "--request-timeout", "5s"), "request-timeout", validator.ErrConfig},
		{"zero concurrency", with("--concurrency", "0"), "concurrency", validator.ErrConfig},
		{"metrics address", with("--metrics-listen", "nope"), "metrics-listen", validator.ErrConfig},
		{"subnet out of range", with("--subnet", "70000"), "subnet", validator.ErrConfig},
		{"empty node", with("--node", ""), "node", validator.ErrConfig},
		{"flag not a duration", with("--poll", "soon"), "poll", nil},
		{"unknown flag", with("--colour", "red"), "colour", nil},
		{"config missing", with("--config", filepath.Join(dir, "none.json")), "none.json", validator.ErrConfig},
		{"config unknown key", with("--config", writeFile(t, dir, "k.json", `{"colour":"red"}`)), "colour", validator.ErrConfig},
		{"config bad line", with("--config", writeFile(t, dir, "t.toml", "graded = 3\nsubnet 1\n")), "t.toml:2:1: syntax error: want key = value", validator.ErrConfig},
		{"config bad value", with("--config", writeFile(t, dir, "v.toml", "graded = three\n")), `v.toml:1:10: graded = "three": want a whole number`, validator.ErrConfig},
		{"config json type", with("--config", writeFile(t, dir, "v.json", "{\n  \"subnet\": \"one\"}")), `v.json:2:3: subnet = "one": want a whole number in 0..65535`, validator.ErrConfig},
		{"hotkey not in keyring", with(), `hotkey "hotkey"`, nil},
		{"report without home", []string{"validator", "report"}, `"home"`, nil},
		{"report of a home without one", []string{"validator", "report", "--home", home}, validator.ReportFile, nil},
	}
	runErrCases(t, cases)
}

// TestEveryCommandHasHelp walks the whole command tree: every command and
// subcommand answers --help without error, prints its own usage and every
// flag name, and every command and flag has usage text.
func TestEveryCommandHasHelp(t *testing.T) {
	var walk func(path []string, cmds []*cli.Command)
	n := 0
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Name == "help" || c.Hidden {
				continue
			}
			p := append(append([]string(nil), path...), c.Name)
			name := strings.Join(p, " ")
			n++
			if c.Usage == "" {
				t.Errorf("%s: no usage text", name)
			}
			out, err := runCLI(t, append(p, "--help")...)
			if err != nil {
				t.Errorf("%s --help: %v", name, err)
				continue
			}
			if !strings.Contains(out, c.Name) || (c.Usage != "" && !strings.Contains(out, firstWords(c.Usage))) {
				t.Errorf("%s --help does not show its usage:\n%s", name, out)
			}
			for _, f := range c.Flags {
				fn := f.Names()[0]
				if fn == "help" {
					continue
				}
				if u, ok := f.(interface{ GetUsage() string }); !ok || u.GetUsage() == "" {
					t.Errorf("%s --%s: no usage text", name, fn)
				}
				if !strings.Contains(out, "--"+fn) {
					t.Errorf("%s --help does not list --%s", name, fn)
				}
			}
			for _, s := range c.Subcommands {
				if s.Name != "help" && !strings.Contains(out, s.Name) {
					t.Errorf("%s --help does not list subcommand %s", name, s.Name)
				}
			}
			walk(p, c.Subcommands)
		}
	}
	walk(nil, newApp().Commands)
	if n < 20 {
		t.Fatalf("walked only %d commands", n)
	}
	t.Logf("%d commands answer --help", n)
}

// firstWords is the start of a usage line, short enough not to be wrapped
// by the help template.
func firstWords(s string) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(len(f), 3)], " ")
}
