package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func inputJSON(n int, v int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestDecodeInferRequest(t *testing.T) {
	ok := `{"id":"req-1","epoch":7,"input":` + inputJSON(4, -128) + `}`
	r, err := DecodeInferRequest([]byte(ok), 4)
	if err != nil || r.ID != "req-1" || r.Epoch != 7 || len(r.Input) != 4 || r.Input[3] != -128 {
		t.Fatalf("%+v %v", r, err)
	}
	cases := []struct {
		name, body string
		want       error
		msg        string
	}{
		{"empty", ``, ErrBadJSON, "empty body"},
		{"garbage", `not json`, ErrBadJSON, "invalid character"},
		{"array", `[1,2]`, ErrBadJSON, "want a JSON object, got array"},
		{"truncated", `{"id":"a","input":[1,2`, ErrBadJSON, ""},
		{"unknown field", `{"id":"a","epoch":1,"input":[1,2,3,4],"x":1}`, ErrBadJSON, `unknown field "x"`},
		{"trailing", ok + `{}`, ErrBadJSON, "trailing"},
		{"int8 overflow", `{"id":"a","input":` + inputJSON(4, 128) + `}`, ErrBadJSON, "input"},
		{"float input", `{"id":"a","input":[1.5,1,1,1]}`, ErrBadJSON, "input"},
		{"string input", `{"id":"a","input":"AAAA"}`, ErrBadJSON, "input"},
		{"negative epoch", `{"id":"a","epoch":-1,"input":[1,1,1,1]}`, ErrBadJSON, "epoch"},
		{"short input", `{"id":"a","input":[1,1,1]}`, ErrBadInput, "3 values, the task takes 4"},
		{"long input", `{"id":"a","input":[1,1,1,1,1]}`, ErrBadInput, "5 values"},
		{"no input", `{"id":"a"}`, ErrBadInput, "0 values"},
		{"no id", `{"input":[1,1,1,1]}`, ErrBadID, "id must be"},
		{"bad id", `{"id":"a b\n","input":[1,1,1,1]}`, ErrBadID, "id must be"},
		{"long id", `{"id":"` + strings.Repeat("a", 65) + `","input":[1,1,1,1]}`, ErrBadID, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeInferRequest([]byte(tc.body), 4)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestResponseJSONRoundTrip(t *testing.T) {
	in := InferResponse{ID: "x", Epoch: 3, Class: 7, Proof: []byte{1, 2, 3}, Public: []byte{9}, ProveMillis: 420}
	b, _ := json.Marshal(in)
	if !strings.Contains(string(b), `"proof":"AQID"`) {
		t.Fatalf("proof not base64: %s", b)
	}
	var out InferResponse
	if err := json.Unmarshal(b, &out); err != nil || out.Class != 7 || string(out.Proof) != string(in.Proof) || out.Public[0] != 9 {
		t.Fatalf("%+v %v", out, err)
	}
}

func FuzzDecodeInferRequest(f *testing.F) {
	f.Add([]byte(`{"id":"req-1","epoch":7,"input":[1,2,3,4]}`))
	f.Add([]byte(`{"id":"a","input":[128,1,1,1]}`))
	f.Add([]byte(`{"id":"a","input":null}`))
	f.Add([]byte(`{"id":"\u0000","epoch":18446744073709551615,"input":[-128,127,0,0]}`))
	f.Add([]byte(`[[[[[[[[[[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeInferRequest(body, 4)
		if err != nil {
			if !errors.Is(err, ErrBadJSON) && !errors.Is(err, ErrBadInput) && !errors.Is(err, ErrBadID) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if len(r.Input) != 4 || r.Validate(4) != nil {
			t.Fatalf("accepted invalid request %+v", r)
		}
		// An accepted request re-encodes and decodes to itself.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeInferRequest(b, 4)
		if err != nil || r2.ID != r.ID || r2.Epoch != r.Epoch || string(fmt.Sprint(r2.Input)) != fmt.Sprint(r.Input) {
			t.Fatalf("round trip: %+v vs %+v (%v)", r2, r, err)
		}
	})
}
