package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// provenApp commits a state with a subnet, two neurons and one weight row
// (built by the real transactions) as height 1, then one transfer block as
// height 2, and returns the app.
func provenApp(t *testing.T) (*App, uint16, map[int64][]byte) {
	t.Helper()
	e := newEnv(t, 3)
	owner := testKey(0)
	h := testHyper()
	h.CommitReveal = false
	id := e.createSubnet(owner, h)
	v, m1 := testKey(11), testKey(12)
	e.register(id, owner, v)
	e.register(id, owner, m1)
	e.fund(owner, addrOf(v))
	e.ok(v, &MsgSetWeights{Subnet: id, Weights: w(1, 100)})

	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var all []Change // the whole state, as one change set
	e.s.Iterate("", func(k string, v []byte) bool {
		all = append(all, Change{Key: []byte(k), Value: v})
		return true
	})
	stageCommit(t, st, 1, all)
	app, err := NewApp(st, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[int64][]byte{1: app.LastCommit().AppHash}
	nonce := e.s.Account(addrOf(testKey(1))).Nonce // key 1 also contributed to the subnet's ceremony
	runBlocks(t, app, [][][]byte{nil, {transferTx(testKey(1), addrOf(testKey(2)), 7, nonce, 100)}}, 2, 2, hashes)
	return app, id, hashes
}

func storeQuery(t *testing.T, app *App, key []byte, height int64) *abci.ResponseQuery {
	t.Helper()
	res, err := app.Query(context.Background(), &abci.RequestQuery{Path: StoreQueryPath, Data: key, Height: height, Prove: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("query %q at %d: %s", key, height, res.Log)
	}
	return res
}

// TestStoreProofs: existence and absence proofs of accounts, neurons and
// weight rows verify against the app hash of the answer's height, at the
// latest and at a past height; a tampered value, key or proof fails.
func TestStoreProofs(t *testing.T) {
	app, id, hashes := provenApp(t)
	cases := []struct {
		name   string
		key    []byte
		exists bool
	}{
		{"account", AccountStoreKey(addrOf(testKey(1))), true},
		{"absent account", AccountStoreKey(addrOf(testKey(99))), false},
		{"neuron", NeuronStoreKey(id, 1), true},
		{"absent neuron", NeuronStoreKey(id, 7), false},
		{"weights", WeightsStoreKey(id, 0), true},
		{"absent weights", WeightsStoreKey(id, 1), false},
	}
	for _, h := range []int64{0, 1, 2} {
		for _, c := range cases {
			res := storeQuery(t, app, c.key, h)
			want := h
			if h == 0 {
				want = 2
			}
			if res.Height != want || (res.Value != nil) != c.exists {
				t.Fatalf("%s at %d: height %d, value %q", c.name, h, res.Height, res.Value)
			}
			if err := VerifyStoreProof(res.ProofOps, hashes[res.Height], c.key, res.Value); err != nil {
				t.Fatalf("%s at %d: %v", c.name, h, err)
			}
			if h == 2 && c.name == "account" {
				a, err := DecodeAccountValue(addrOf(testKey(1)), res.Value)
				if err != nil || a != app.Committed().Account(addrOf(testKey(1))) {
					t.Fatalf("decoded %+v, %v", a, err)
				}
			}
			// Tampering: another value, claiming absence or presence, another
			// key, a flipped proof byte, another height's root.
			other := []byte("x")
			if c.exists {
				other = append(bytes.Clone(res.Value), 0)
			}
			mustFail(t, c.name+" other value", VerifyStoreProof(res.ProofOps, hashes[res.Height], c.key, other))
			if c.exists {
				mustFail(t, c.name+" claimed absent", VerifyStoreProof(res.ProofOps, hashes[res.Height], c.key, nil))
			}
			mustFail(t, c.name+" other key", VerifyStoreProof(res.ProofOps, hashes[res.Height], append(bytes.Clone(c.key), 1), res.Value))
			ops := *res.ProofOps
			ops.Ops = append(ops.Ops[:0:0], ops.Ops...)
			ops.Ops[0].Data = bytes.Clone(ops.Ops[0].Data)
			ops.Ops[0].Data[len(ops.Ops[0].Data)/2] ^= 0x40
			mustFail(t, c.name+" flipped proof", VerifyStoreProof(&ops, hashes[res.Height], c.key, res.Value))
			if h == 1 && c.name == "account" {
				mustFail(t, c.name+" other root", VerifyStoreProof(res.ProofOps, hashes[2], c.key, res.Value))
			}
		}
	}
	// The account changed at height 2: its proven value at 1 is the old one.
	v1 := storeQuery(t, app, AccountStoreKey(addrOf(testKey(2))), 1).Value
	v2 := storeQuery(t, app, AccountStoreKey(addrOf(testKey(2))), 2).Value
	if bytes.Equal(v1, v2) {
		t.Fatal("past height served the latest value")
	}
}

func mustFail(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrProof) {
		t.Fatalf("%s: verified (err %v)", what, err)
	}
}

// TestPastHeightQueries: JSON queries are served at retained past heights and
// refused outside the window; prove=true on a JSON path is refused.
func TestPastHeightQueries(t *testing.T) {
	app, _, _ := provenApp(t)
	ctx := context.Background()
	path := "/account/" + addrOf(testKey(2)).String()
	bal := func(h int64) uint64 {
		res, _ := app.Query(ctx, &abci.RequestQuery{Path: path, Height: h})
		if res.Code != 0 {
			t.Fatalf("height %d: %s", h, res.Log)
		}
		var a Account
		if err := json.Unmarshal(res.Value, &a); err != nil {
			t.Fatal(err)
		}
		return a.Balance
	}
	if bal(2) != bal(0) || bal(2) != bal(1)+7 {
		t.Fatalf("balances at 1, 2, latest: %d %d %d", bal(1), bal(2), bal(0))
	}
	for _, req := range []*abci.RequestQuery{{Path: path, Height: 9}, {Path: path, Prove: true}, {Path: StoreQueryPath, Height: 9, Data: []byte("x")}} {
		res, _ := app.Query(ctx, req)
		if res.Code != ErrNotFound.Code {
			t.Fatalf("%+v: code %d %s", req, res.Code, res.Log)
		}
	}
}
