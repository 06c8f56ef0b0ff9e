package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTaskCommands: task init writes a canonical spec whose hash inspect and
// validate report; a changed field changes the hash; a bad spec names the
// field and fails.
func TestTaskCommands(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "task.json")
	text, err := runCLI(t, "task", "init", "--from", "mnist-7x7", "--name", "digits", "--arch", "49-8-10", "--out", spec, "-o", "json")
	if err != nil {
		t.Fatalf("task init: %v\n%s", err, text)
	}
	var res taskResult
	if err := json.Unmarshal([]byte(text[strings.Index(text, "{"):]), &res); err != nil || !res.Canonical || res.Spec.Model.Arch != "49-8-10" {
		t.Fatalf("init result %+v %v", res, err)
	}
	for _, cmd := range []string{"inspect", "validate"} {
		out, err := runCLI(t, "task", cmd, spec)
		if err != nil || !strings.Contains(out, res.Hash) {
			t.Fatalf("task %s: %v\n%s", cmd, err, out)
		}
	}
	text, err = runCLI(t, "task", "init", "--from", "mnist-7x7", "--name", "digits", "--arch", "49-8-10", "--no-proof", "--out", spec, "-o", "json")
	var res2 taskResult
	if err != nil || json.Unmarshal([]byte(text[strings.Index(text, "{"):]), &res2) != nil || res2.Hash == res.Hash || res2.Spec.RequireProof {
		t.Fatalf("--no-proof: %v %+v", err, res2)
	}
	b, _ := os.ReadFile(spec)
	if err := os.WriteFile(spec, []byte(strings.Replace(string(b), `"classes":10`, `"classes":9`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "task", "validate", spec); err == nil || !strings.Contains(err.Error(), "labels.classes") {
		t.Fatalf("bad spec: %v", err)
	}
	if _, err := runCLI(t, "task", "init", "--arch", "784-64-10", "--from", "mnist-7x7", "--out", spec); err == nil || !strings.Contains(err.Error(), "model.arch") {
		t.Fatalf("arch that does not fit the input: %v", err)
	}
}
