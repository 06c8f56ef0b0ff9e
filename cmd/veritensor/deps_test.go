package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestCode checks that no package of this module that the
// release binary links imports testing: test helpers live in *test packages
// (keycachetest) that only tests import. (The binary still links package
// testing through CometBFT: its libs/log, types and consensus packages import
// it, so `go list -deps ./cmd/veritensor | grep -x testing` cannot be empty.)
// make lint runs the same check.
func TestBinaryLinksNoTestCode(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[0], "github.com/veritensor/veritensor") && slices.Contains(f[1:], "testing") {
			t.Errorf("the binary links %s, which imports testing: move its test helpers to a *test package", f[0])
		}
	}
}
