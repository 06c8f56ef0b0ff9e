package api

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDecodeBatchInferRequest(t *testing.T) {
	in := func(k, n int) [][]int8 {
		xs := make([][]int8, k)
		for j := range xs {
			xs[j] = make([]int8, n)
			xs[j][0] = -128
		}
		return xs
	}
	good, _ := json.Marshal(BatchInferRequest{ID: "b-1", Epoch: 3, Inputs: in(4, 5)})
	r, err := DecodeBatchInferRequest(good, 5, nil)
	if err != nil || len(r.Inputs) != 4 || r.Inputs[3][0] != -128 || r.Epoch != 3 {
		t.Fatalf("%+v %v", r, err)
	}
	bad := map[string]struct {
		body []byte
		want error
	}{
		"k=3":          {mustJSON(BatchInferRequest{ID: "a", Inputs: in(3, 5)}), ErrBadInput},
		"k=0":          {mustJSON(BatchInferRequest{ID: "a"}), ErrBadInput},
		"short input":  {mustJSON(BatchInferRequest{ID: "a", Inputs: append(in(3, 5), make([]int8, 4))}), ErrBadInput},
		"bad id":       {mustJSON(BatchInferRequest{ID: "a b", Inputs: in(1, 5)}), ErrBadID},
		"out of int8":  {[]byte(`{"id":"a","epoch":1,"inputs":[[128,0,0,0,0]]}`), ErrBadJSON},
		"unknown":      {[]byte(`{"id":"a","epoch":1,"inputs":[[1,0,0,0,0]],"x":1}`), ErrBadJSON},
		"single shape": {[]byte(`{"id":"a","epoch":1,"input":[1,0,0,0,0]}`), ErrBadJSON},
		"trailing":     {append(good, '{'), ErrBadJSON},
	}
	for name, c := range bad {
		if _, err := DecodeBatchInferRequest(c.body, 5, nil); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if _, err := DecodeBatchInferRequest(good, 5, []int{1}); !errors.Is(err, ErrBadInput) {
		t.Errorf("k=4 to a miner of k=1 only: %v", err)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzDecodeBatchInferRequest(f *testing.F) {
	f.Add([]byte(`{"id":"a","epoch":1,"inputs":[[1,2,3]]}`))
	f.Add([]byte(`{"id":"a","epoch":1,"inputs":[[1,2,3],[1,2,3],[1,2,3],[-128,127,0]]}`))
	f.Add([]byte(`{"inputs":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeBatchInferRequest(b, 3, nil)
		if err != nil {
			return
		}
		if r.Validate(3, nil) != nil {
			t.Fatal("decoded request does not validate")
		}
	})
}
