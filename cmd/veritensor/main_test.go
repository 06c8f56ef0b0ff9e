package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelpListsEveryCommand checks that the app assembles and that every
// registered command has a usage line, so --help is never empty.
func TestHelpListsEveryCommand(t *testing.T) {
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	if err := app.Run([]string{"veritensor", "--help"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range app.Commands {
		if c.Usage == "" {
			t.Errorf("command %q has no usage text", c.Name)
		}
		if !strings.Contains(out.String(), c.Name) {
			t.Errorf("--help does not list %q", c.Name)
		}
	}
}
