package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCeremonyCLIPhase1: init, two contributions, seal, inspect -o json; a
// tampered file is refused by name. (Phase 2 needs a real circuit: the
// library tests cover it.)
func TestCeremonyCLIPhase1(t *testing.T) {
	dir := t.TempDir()
	steps := [][]string{
		{"ceremony", "init", "--dir", dir, "--log2", "4"},
		{"ceremony", "contribute", "--dir", dir},
		{"ceremony", "contribute", "--dir", dir, "-o", "json"},
		{"ceremony", "seal", "--dir", dir, "--beacon", "0a0b"},
	}
	for _, s := range steps {
		if out, err := runCLI(t, s...); err != nil {
			t.Fatalf("%v: %v\n%s", s, err, out)
		}
	}
	out, err := runCLI(t, "ceremony", "inspect", "--dir", dir, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var files []ceremonyFileOut
	if err := json.Unmarshal([]byte(out), &files); err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for i, f := range files {
		kinds = append(kinds, f.Kind)
		if i > 0 && f.Prev != files[i-1].SHA256 {
			t.Errorf("file %d does not link to file %d", i, i-1)
		}
		if filepath.Base(f.Path) != f.SHA256+".ceremony" {
			t.Errorf("%s is not named by its hash", f.Path)
		}
	}
	if got := strings.Join(kinds, ","); got != "init,contribution,contribution,sealed" || files[3].Beacon != "0a0b" {
		t.Fatalf("transcript %s, beacon %q", got, files[3].Beacon)
	}
	// A file whose content no longer matches its name is refused.
	p := files[1].Path
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "ceremony", "inspect", "--dir", dir); err == nil || !strings.Contains(err.Error(), filepath.Base(p)) {
		t.Fatalf("a tampered file: %v", err)
	}
}
