package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const (
	metagraphIn  = "../../scoring/testdata/metagraph.json"
	metagraphOut = "../../scoring/testdata/metagraph.out.json"
)

// decodeExact decodes JSON keeping numbers as their literal text, so Q32.32
// fractions compare digit for digit rather than as rounded float64s.
func decodeExact(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q...: %v", b[:min(len(b), 200)], err)
	}
	return v
}

// TestScoringEpochJSONMatchesGolden: the CLI prints exactly the result pinned
// by the scoring package's golden test (same fields, same digits).
func TestScoringEpochJSONMatchesGolden(t *testing.T) {
	out, err := runCLI(t, "scoring", "epoch", "--in", metagraphIn, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want, err := os.ReadFile(metagraphOut)
	if err != nil {
		t.Fatal(err)
	}
	got, golden := decodeExact(t, []byte(out)), decodeExact(t, want)
	if !reflect.DeepEqual(got, golden) {
		t.Fatalf("scoring epoch -o json differs from %s:\n%s", metagraphOut, out)
	}
	if n, _ := golden["neurons"].([]any); len(n) == 0 {
		t.Fatal("golden file has no neurons")
	}
}

// TestScoringEpochText: the table has its header, one row per UID and a
// totals row whose sums equal the JSON result's.
func TestScoringEpochText(t *testing.T) {
	out, err := runCLI(t, "scoring", "epoch", "--in", metagraphIn)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var res struct {
		Neurons []struct {
			UID               uint16 `json:"uid"`
			MinerEmission     uint64 `json:"miner_emission"`
			ValidatorEmission uint64 `json:"validator_emission"`
			Emission          uint64 `json:"emission"`
		} `json:"neurons"`
		OwnerEmission uint64 `json:"owner_emission"`
	}
	golden, err := os.ReadFile(metagraphOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(golden, &res); err != nil {
		t.Fatal(err)
	}
	var miner, validator, total uint64
	for _, n := range res.Neurons {
		miner, validator, total = miner+n.MinerEmission, validator+n.ValidatorEmission, total+n.Emission
	}
	lines := strings.Split(out, "\n")
	var header, totals []string
	rows := 0
	for _, l := range lines {
		f := strings.Fields(l)
		switch {
		case len(f) > 0 && f[0] == "uid":
			header = f
		case len(f) > 0 && f[0] == "total":
			totals = f
		case header != nil && totals == nil && len(f) == len(header):
			rows++
		}
	}
	for _, col := range []string{"uid", "active", "permit", "proof", "stake", "consensus", "trust", "incentive", "dividends", "emission"} {
		if !contains(header, col) {
			t.Errorf("header %v lacks %q", header, col)
		}
	}
	if rows != len(res.Neurons) {
		t.Errorf("%d table rows, want %d UIDs:\n%s", rows, len(res.Neurons), out)
	}
	want := []string{"total", strconv.FormatUint(miner, 10), strconv.FormatUint(validator, 10), strconv.FormatUint(total, 10)}
	if !reflect.DeepEqual(totals, want) {
		t.Errorf("totals row %v, want %v", totals, want)
	}
	if !strings.Contains(out, "owner emission: "+strconv.FormatUint(res.OwnerEmission, 10)) {
		t.Errorf("no owner emission line for %d:\n%s", res.OwnerEmission, out)
	}
}

// TestScoringEpochBadInput: missing, unreadable, malformed and wrongly typed
// metagraphs fail with an error that says what is wrong; nothing is printed
// as a result.
func TestScoringEpochBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no --in", []string{"scoring", "epoch"}, `"in"`},
		{"missing file", []string{"scoring", "epoch", "--in", filepath.Join(dir, "nope.json")}, "read metagraph"},
		{"not json", []string{"scoring", "epoch", "--in", write("junk.json", "uid,stake\n0,1\n")}, "metagraph"},
		{"wrong type", []string{"scoring", "epoch", "--in", write("type.json", `{"neurons":[{"uid":"zero"}]}`)}, "uid"},
		{"bad output format", []string{"scoring", "epoch", "--in", metagraphIn, "-o", "yaml"}, "unknown output format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, tc.args...)
			if err == nil {
				t.Fatalf("succeeded:\n%s", out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(out, "owner emission") || strings.Contains(out, `"neurons"`) {
				t.Fatalf("printed a result despite the error:\n%s", out)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
