package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// Proven queries: answers verified by CometBFT's light client (docs/chain.md,
// "App hash").

var proveFlags = []cli.Flag{
	&cli.BoolFlag{Name: "prove", Usage: "verify the answer: an ics23 proof against the app hash of a header checked by the light client"},
	&cli.Int64Flag{Name: "trust-height", Usage: "light client root of trust: a block height (with --trust-hash)"},
	&cli.StringFlag{Name: "trust-hash", Usage: "light client root of trust: the hex header hash at --trust-height, from a source you trust"},
	&cli.StringSliceFlag{Name: "witness", Usage: "RPC address of another node the light client cross-checks headers with (repeatable; default: --node itself, which detects no fork)"},
	&cli.Int64Flag{Name: "height", Usage: "state height to read (default: the latest whose next header exists)"},
}

func init() {
	flags := append([]cli.Flag{nodeFlag, timeoutFlag, outputFlag}, proveFlags...)
	attach("query", &cli.Command{
		Name:  "state",
		Usage: "one raw state record by key; with --prove, verified by the light client",
		Description: "KIND and arguments: account ADDRESS | neuron SUBNET UID | weights SUBNET UID | key HEX.\n" +
			"With --prove the answer (value or absence) is checked with an ics23 proof against the app hash in the\n" +
			"header of height+1, which CometBFT's light client verifies from --trust-height/--trust-hash by\n" +
			"validator signatures. A node that alters, drops or swaps the answer makes the command fail.",
		ArgsUsage: "KIND ARGS...",
		Flags:     flags,
		Action:    queryState,
	})
}

// stateKeyArgs parses KIND ARGS into a state key.
func stateKeyArgs(args []string) ([]byte, string, error) {
	if len(args) == 0 {
		return nil, "", fmt.Errorf("want KIND ARGS: account ADDRESS | neuron SUBNET UID | weights SUBNET UID | key HEX")
	}
	two := func() (uint16, uint16, error) {
		if len(args) != 3 {
			return 0, 0, fmt.Errorf("%s wants SUBNET UID", args[0])
		}
		a, err1 := strconv.ParseUint(args[1], 10, 16)
		b, err2 := strconv.ParseUint(args[2], 10, 16)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("SUBNET and UID must be numbers in 0..65535")
		}
		return uint16(a), uint16(b), nil
	}
	switch args[0] {
	case "account":
		if len(args) != 2 {
			return nil, "", fmt.Errorf("account wants ADDRESS")
		}
		a, err := chain.ParseAddress(args[1])
		if err != nil {
			return nil, "", err
		}
		return chain.AccountStoreKey(a), "account", nil
	case "neuron":
		id, uid, err := two()
		return chain.NeuronStoreKey(id, uid), "neuron", err
	case "weights":
		id, uid, err := two()
		return chain.WeightsStoreKey(id, uid), "weights", err
	case "key":
		if len(args) != 2 {
			return nil, "", fmt.Errorf("key wants HEX")
		}
		k, err := hex.DecodeString(strings.TrimPrefix(args[1], "0x"))
		if err != nil || len(k) == 0 {
			return nil, "", fmt.Errorf("key %q is not non-empty hex", args[1])
		}
		return k, "key", nil
	}
	return nil, "", fmt.Errorf("unknown KIND %q (account, neuron, weights, key)", args[0])
}

// StateAnswer is `query state`'s output.
type StateAnswer struct {
	Key    string          `json:"key"`
	Height int64           `json:"height"`
	Exists bool            `json:"exists"`
	Value  string          `json:"value,omitempty"`    // hex of the stored bytes
	Record json.RawMessage `json:"record,omitempty"`   // decoded record (JSON) when known
	Proof  *ProofReport    `json:"verified,omitempty"` // set with --prove
}

// ProofReport says what a proven answer was checked against.
type ProofReport struct {
	TrustHeight int64    `json:"trust_height"`
	TrustHash   string   `json:"trust_hash"`
	TrustSource string   `json:"trust_source"`
	Witnesses   []string `json:"witnesses"`
	Header      int64    `json:"header"`
	AppHash     string   `json:"app_hash"`
}

func queryState(c *cli.Context) error {
	key, kind, err := stateKeyArgs(c.Args().Slice())
	if err != nil {
		return err
	}
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	ans, err := readState(c, ctx, cl, key, c.Int64("height"), c.Bool("prove"))
	if err != nil {
		return err
	}
	if ans.Exists && kind == "account" {
		a, _ := chain.ParseAddress(c.Args().Get(1))
		v, _ := hex.DecodeString(ans.Value)
		if acct, err := chain.DecodeAccountValue(a, v); err == nil {
			ans.Record, _ = json.Marshal(acct)
		}
	} else if ans.Exists && (kind == "neuron" || kind == "weights") {
		v, _ := hex.DecodeString(ans.Value)
		if json.Valid(v) {
			ans.Record = v
		}
	}
	return render(c, ans, func(w io.Writer) error { return printState(w, ans) })
}

// readState reads key, proven with the light client when prove.
func readState(c *cli.Context, ctx context.Context, cl *client.Client, key []byte, height int64, prove bool) (*StateAnswer, error) {
	ans := &StateAnswer{Key: hex.EncodeToString(key)}
	if !prove {
		res, err := cl.RPC().ABCIQueryWithOptions(ctx, chain.StoreQueryPath, key, rpcQueryOpts(height))
		if err != nil {
			return nil, err
		}
		if res.Response.Code != 0 {
			return nil, &chain.TxError{Code: res.Response.Code, Log: res.Response.Log}
		}
		ans.Height, ans.Exists, ans.Value = res.Response.Height, len(res.Response.Value) > 0, hex.EncodeToString(res.Response.Value)
		return ans, nil
	}
	chainID, err := cl.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	rep := &ProofReport{TrustHeight: c.Int64("trust-height"), TrustHash: c.String("trust-hash"), TrustSource: "--trust-height/--trust-hash",
		Witnesses: c.StringSlice("witness")}
	if rep.TrustHeight == 0 && rep.TrustHash == "" {
		// Trust on first use: the node's own header at height 1. Say so.
		b, err := cl.Block(ctx, 1)
		if err != nil {
			return nil, err
		}
		rep.TrustHeight, rep.TrustHash, rep.TrustSource = 1, b.Hash, "the node's own header 1 (trust on first use: pass --trust-height/--trust-hash)"
	}
	th, err := hex.DecodeString(rep.TrustHash)
	if err != nil || rep.TrustHeight <= 0 || len(th) != 32 {
		return nil, fmt.Errorf("--trust-height and --trust-hash (32-byte hex) must be given together")
	}
	if len(rep.Witnesses) == 0 {
		rep.Witnesses = []string{c.String("node")}
	}
	v, err := client.NewVerifier(ctx, chainID, c.String("node"), rep.Witnesses, client.Trust{Height: rep.TrustHeight, Hash: th})
	if err != nil {
		return nil, err
	}
	p, err := cl.QueryProven(ctx, v, key, height)
	if err != nil {
		return nil, err
	}
	rep.Header, rep.AppHash = p.Height+1, hex.EncodeToString(p.AppHash)
	ans.Height, ans.Exists, ans.Value, ans.Proof = p.Height, p.Value != nil, hex.EncodeToString(p.Value), rep
	return ans, nil
}

func printState(w io.Writer, a *StateAnswer) error {
	fmt.Fprintf(w, "key    %s\nheight %d\n", a.Key, a.Height)
	if !a.Exists {
		fmt.Fprintln(w, "value  (absent)")
	} else if a.Record != nil {
		fmt.Fprintf(w, "record %s\n", a.Record)
	} else {
		fmt.Fprintf(w, "value  %s\n", a.Value)
	}
	if p := a.Proof; p != nil {
		fmt.Fprintf(w, "verified: ics23 proof of %s against app hash %s of header %d,\n", map[bool]string{true: "the value", false: "absence"}[a.Exists], p.AppHash, p.Header)
		fmt.Fprintf(w, "  that header verified by the light client from height %d hash %s (%s), witnesses %s\n",
			p.TrustHeight, p.TrustHash, p.TrustSource, strings.Join(p.Witnesses, ", "))
	} else {
		fmt.Fprintln(w, "NOT verified (pass --prove)")
	}
	return nil
}

func rpcQueryOpts(height int64) rpcclient.ABCIQueryOptions {
	return rpcclient.ABCIQueryOptions{Height: height}
}

// ProvenAccount is `query account --prove`'s output.
type ProvenAccount struct {
	chain.Account
	Height   int64        `json:"height"`
	Verified *ProofReport `json:"verified"`
}

// queryAccountProven is `query account ADDRESS --prove`.
func queryAccountProven(c *cli.Context, addr chain.Address) error {
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	ans, err := readState(c, ctx, cl, chain.AccountStoreKey(addr), c.Int64("height"), true)
	if err != nil {
		return err
	}
	v, _ := hex.DecodeString(ans.Value)
	acct, err := chain.DecodeAccountValue(addr, v)
	if err != nil {
		return err
	}
	out := ProvenAccount{Account: acct, Height: ans.Height, Verified: ans.Proof}
	return render(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "address %s\nbalance %d\nnonce   %d\nheight  %d\n", acct.Address, acct.Balance, acct.Nonce, ans.Height)
		p := ans.Proof
		_, err := fmt.Fprintf(w, "verified: ics23 proof against app hash %s of header %d,\n  that header verified by the light client from height %d hash %s (%s), witnesses %s\n",
			p.AppHash, p.Header, p.TrustHeight, p.TrustHash, p.TrustSource, strings.Join(p.Witnesses, ", "))
		return err
	})
}
