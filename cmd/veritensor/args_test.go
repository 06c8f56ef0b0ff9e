package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/chain/keys"
)

func TestReorderArgs(t *testing.T) {
	app := newApp()
	for _, tc := range []struct{ in, want string }{
		{"keys add owner --home X", "keys add --home X owner"},
		{"keys add owner --home=X -o json", "keys add --home=X -o json owner"},
		{"query subnet 1 --node N", "query subnet --node N 1"},
		{"query block 3 --node X -o json", "query block --node X -o json 3"},
		{"query neuron 0 --node N ABCD --timeout 5s", "query neuron --node N --timeout 5s 0 ABCD"},
		// Bool flags take no value; what follows stays an argument.
		{"subnet create --commit-reveal false --name x", "subnet create --commit-reveal --name x false"},
		{"subnet create x --commit-reveal=false", "subnet create --commit-reveal=false x"},
		// "--" ends the flags: what follows stays an argument, even "-5".
		{"query block --node N -- -5", "query block --node N -- -5"},
		{"query block 3 --node N -- --x", "query block --node N 3 -- --x"},
		// An unknown flag moves too, so that urfave/cli rejects it.
		{"keys show a --colour red", "keys show --colour a red"},
		{"keys show --help", "keys show --help"},
		{"keys show a --help", "keys show --help a"},
		// A flag without its value is an error.
		{"keys add owner --home", "error: flag --home needs a value (veritensor keys add --help)"},
		// Nothing to move, or no command at all.
		{"keys add --home X owner", "keys add --home X owner"},
		{"--help", "--help"},
		{"nosuch a --b c", "nosuch a --b c"},
	} {
		in := append([]string{"veritensor"}, strings.Fields(tc.in)...)
		out, err := reorderArgs(app, in)
		var got string
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = strings.Join(out[1:], " ")
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// TestFlagsAfterArguments runs command lines as the docs write them, flags
// after the positional arguments, and checks each flag took effect.
func TestFlagsAfterArguments(t *testing.T) {
	home := filepath.Join(t.TempDir(), "h")
	out, err := runCLI(t, "keys", "add", "owner", "--home", home)
	if err != nil {
		t.Fatalf("keys add owner --home: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(home, "keys", "owner.json")); err != nil {
		t.Fatalf("--home after the name was not used: %v", err)
	}
	out, err = runCLI(t, "keys", "show", "owner", "--home", home, "-o", "json")
	var info keys.Info
	if err != nil || json.Unmarshal([]byte(out), &info) != nil || info.Name != "owner" {
		t.Fatalf("keys show owner --home -o json: %v\n%s", err, out)
	}
	// A --node given after the argument is the one dialled.
	closed := closedAddr(t)
	for _, args := range [][]string{
		{"query", "subnet", "1", "--node", closed, "--timeout", "2s"},
		{"query", "block", "3", "--node", closed, "-o", "json"},
		{"query", "metagraph", "1", "--node", closed},
		{"query", "account", strings.Repeat("ab", 20), "--node", closed},
	} {
		_, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), closed) {
			t.Errorf("%v: %v, want an error naming %s", args, err, closed)
		}
	}
	// A stray word is an error, never silently ignored.
	_, err = runCLI(t, "tx", "transfer", "--home", home, "--from", "owner", "--to", strings.Repeat("ab", 20),
		"--amount", "1", "--async", "false", "--node", closed)
	if err == nil || !strings.Contains(err.Error(), `unexpected argument "false"`) {
		t.Errorf("--async false: %v", err)
	}
	if _, err = runCLI(t, "query", "block", "1", "2", "--node", closed); err == nil || !strings.Contains(err.Error(), "at most one HEIGHT") {
		t.Errorf("two heights: %v", err)
	}
}

// closedAddr is a tcp:// address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "tcp://" + l.Addr().String()
	l.Close()
	return addr
}

// TestNodeErrors: a --node where no CometBFT RPC answers (nothing listens,
// a server speaking garbage, an HTTP server that is not CometBFT, an address
// without a port) gives an error that says so and names the default port,
// not the transport's raw error.
func TestNodeErrors(t *testing.T) {
	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	go func() {
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				fmt.Fprint(c, "\"SSH-2.0-OpenSSH_9.6\r\n")
			}()
		}
	}()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"hello": "world"}`)
	}))
	defer web.Close()
	for _, tc := range []struct {
		name, node, want string
	}{
		{"closed port", closedAddr(t), "nothing listens there"},
		{"garbage", "tcp://" + garbage.Addr().String(), "not a CometBFT RPC"},
		{"other http", web.URL, "not a CometBFT RPC"},
		{"no port", "tcp://127.0.0.1", "has no port"},
		{"bare host", "localhost", "has no port"},
		{"bad scheme", "ftp://127.0.0.1:21", "unknown scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range [][]string{
				{"query", "subnets", "--node", tc.node, "--timeout", "5s"},
				{"tx", "transfer", "--node", tc.node, "--home", t.TempDir(), "--from", "x", "--to", strings.Repeat("ab", 20), "--amount", "1"},
			} {
				_, err := runCLI(t, args...)
				if err == nil {
					t.Fatalf("%v succeeded", args)
				}
				msg := err.Error()
				if args[0] == "tx" && strings.Contains(msg, "key") {
					continue // the key is read first; the query covers the node
				}
				if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "26657") {
					t.Errorf("%v: %q, want %q and the default port", args, msg, tc.want)
				}
				for _, raw := range []string{"malformed HTTP", "Go value", "unmarshal", "missing port"} {
					if strings.Contains(msg, raw) {
						t.Errorf("%v: raw transport error %q", args, msg)
					}
				}
			}
		})
	}
	// The daemons refuse a --node that answers but is no CometBFT RPC at
	// once (nothing listening is left to their retries: a node may be
	// starting).
	for _, node := range []string{"tcp://" + garbage.Addr().String(), web.URL} {
		for _, args := range [][]string{
			{"validator", "run", "--home", t.TempDir(), "--node", node},
			{"miner", "--home", t.TempDir(), "--model", "m.vtm", "--node", node},
		} {
			if _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), "not a CometBFT RPC") {
				t.Errorf("%v: %v", args, err)
			}
		}
	}
	if !reflect.DeepEqual(checkNodeAddr("unix:///tmp/n.sock"), nil) || checkNodeAddr("http://h:1") != nil {
		t.Fatal("good addresses refused")
	}
}
