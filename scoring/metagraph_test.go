package scoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestExampleMetagraph runs the documented example (testdata/metagraph.json):
// validators 0-2 are honest-ish, 3 is inactive, 2 alone backs miner 8 (a
// 15% cabal), miner 7 has no proof of model, and miner 9 registered after
// every weight was set. Its output is pinned in testdata/metagraph.out.json
// (regenerate with -update after an intended change and review the diff).
func TestExampleMetagraph(t *testing.T) {
	data, err := os.ReadFile("testdata/metagraph.json")
	if err != nil {
		t.Fatal(err)
	}
	in, err := DecodeMetagraph(data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Epoch(in)
	if err != nil {
		t.Fatal(err)
	}
	checkConservation(t, in, res)
	nr := res.Neurons
	if nr[3].Active || nr[3].Emission != 0 {
		t.Errorf("inactive validator 3 earned: %+v", nr[3])
	}
	if nr[7].Incentive != 0 || nr[7].Emission != 0 || nr[7].Rank == 0 {
		t.Errorf("miner 7 without proof: %+v", nr[7])
	}
	if nr[8].Consensus != 0 || nr[8].Emission != 0 {
		t.Errorf("cabal's miner 8: %+v", nr[8])
	}
	if nr[9].Rank != 0 || nr[9].Emission != 0 {
		t.Errorf("miner 9 registered after the weights: %+v", nr[9])
	}
	for _, m := range []int{4, 5, 6} {
		if nr[m].Incentive == 0 || nr[m].MinerEmission == 0 {
			t.Errorf("honest miner %d unpaid: %+v", m, nr[m])
		}
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	const golden = "testdata/metagraph.out.json"
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("output differs from %s (run with -update if intended):\n%s", golden, out)
	}
}

func TestDecodeMetagraph(t *testing.T) {
	in, err := DecodeMetagraph([]byte(`{"params":{"emission":7,"bonds_mode":"yuma3"},
		"neurons":[{"uid":1,"proof_ok":false},{"uid":0,"stake":18446744073709551615}],
		"weights":[{"uid":1,"weights":[{"uid":0,"value":3}]},{"uid":0,"weights":[{"uid":1,"value":2},{"uid":0,"value":1}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultParams()
	want.Emission, want.BondsMode = 7, BondsYuma3
	if in.Params != want {
		t.Errorf("params %+v, want defaults with emission 7 and yuma3", in.Params)
	}
	if in.Neurons[0].UID != 0 || in.Neurons[0].Stake != 1<<64-1 || !in.Neurons[0].ProofOK || in.Neurons[1].ProofOK {
		t.Errorf("neurons %+v", in.Neurons)
	}
	if in.Weights[0].UID != 0 || in.Weights[0].Weights[0].UID != 0 || in.Weights[1].UID != 1 {
		t.Errorf("rows not sorted: %+v", in.Weights)
	}
	for _, bad := range []string{
		``, `[]`, `{"neurons":[{"stake":1}]}`, `{"nuerons":[]}`, `{"params":{"bonds_mode":"new"}}`,
		`{"neurons":[{"uid":70000}]}`, `{"neurons":[{"uid":0,"stake":-1}]}`, `{} {}`,
	} {
		if _, err := DecodeMetagraph([]byte(bad)); !errors.Is(err, ErrMetagraph) {
			t.Errorf("%q: err = %v, want ErrMetagraph", bad, err)
		}
	}
}

// TestBondsModeNames: BondsMode encodes as the chain's scoring rule names
// ("yuma", "yuma3") and still reads "legacy", its name before issue 19.
func TestBondsModeNames(t *testing.T) {
	for in, want := range map[string]BondsMode{`"yuma"`: BondsYuma, `"legacy"`: BondsYuma, `"yuma3"`: BondsYuma3} {
		var m BondsMode
		if err := json.Unmarshal([]byte(in), &m); err != nil || m != want {
			t.Errorf("%s decodes to %v, %v; want %v", in, m, err, want)
		}
	}
	for m, want := range map[BondsMode]string{BondsYuma: `"yuma"`, BondsYuma3: `"yuma3"`} {
		if b, err := json.Marshal(m); err != nil || string(b) != want {
			t.Errorf("%v encodes as %s, %v; want %s", uint8(m), b, err, want)
		}
	}
}
