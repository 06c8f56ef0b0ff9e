package main

import (
	"strings"
	"testing"
)

// TestQueryArgErrors: every query command with bad arguments fails with an
// error naming the problem before any network access (the node given is an
// address nothing listens on).
func TestQueryArgErrors(t *testing.T) {
	node := []string{"--node", "tcp://127.0.0.1:1", "--timeout", "1s"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"account"}, "want one ADDRESS"},
		{[]string{"account", "zz"}, "zz"},
		{[]string{"block", "0"}, `HEIGHT "0" is not a positive integer`},
		{[]string{"tx"}, "want one tx HASH"},
		{[]string{"subnet"}, "want 1 argument(s): ID"},
		{[]string{"subnet", "70000"}, `subnet ID "70000" is not a number in 0..65535`},
		{[]string{"metagraph", "x"}, `subnet ID "x"`},
		{[]string{"weights", "1", "2"}, "want 1 argument(s)"},
		{[]string{"neuron", "1"}, "want 2 argument(s): ID UID|HOTKEY"},
		{[]string{"neuron", "1", "bob"}, `"bob": not an address (40 hex digits), and no key of that name in`},
		{[]string{"neuron", "1", strings.Repeat("zz", 20)}, strings.Repeat("zz", 20)},
		{[]string{"stake", "1"}, "want 2 argument(s): ID HOTKEY"},
		{[]string{"stake", "1", "bob"}, "bob"},
	} {
		args := append(append([]string{"query", tc.args[0]}, node...), tc.args[1:]...)
		out, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (output %q), want an error containing %q", tc.args, err, out, tc.want)
		}
	}
}
