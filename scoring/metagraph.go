package scoring

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// neuronJSON is Neuron as written in a metagraph file: uid is required and
// proof_ok defaults to true.
type neuronJSON struct {
	UID          *uint16 `json:"uid"`
	Stake        uint64  `json:"stake"`
	LastUpdate   uint64  `json:"last_update"`
	RegisteredAt uint64  `json:"registered_at"`
	ProofOK      *bool   `json:"proof_ok"`
}

type metagraphJSON struct {
	Params  Params       `json:"params"`
	Neurons []neuronJSON `json:"neurons"`
	Weights []Row        `json:"weights"`
	Bonds   []Row        `json:"bonds"`
}

// DecodeMetagraph parses a JSON metagraph (schema in docs/scoring.md) into
// an Input. Absent params take DefaultParams' values, an absent proof_ok is
// true, unknown fields are an error. Neurons, rows and row entries are
// sorted by UID (stable), so files may list them in any order; Epoch then
// rejects gaps and duplicates. Errors wrap ErrMetagraph.
func DecodeMetagraph(data []byte) (Input, error) {
	mg := metagraphJSON{Params: DefaultParams()}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mg); err != nil {
		return Input{}, fmt.Errorf("%w: %w", ErrMetagraph, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Input{}, fmt.Errorf("%w: trailing data after the metagraph object", ErrMetagraph)
	}
	in := Input{Params: mg.Params, Weights: mg.Weights, Bonds: mg.Bonds}
	in.Neurons = make([]Neuron, len(mg.Neurons))
	for i, nj := range mg.Neurons {
		if nj.UID == nil {
			return Input{}, fmt.Errorf("%w: neurons[%d] has no uid", ErrMetagraph, i)
		}
		in.Neurons[i] = Neuron{UID: *nj.UID, Stake: nj.Stake, LastUpdate: nj.LastUpdate,
			RegisteredAt: nj.RegisteredAt, ProofOK: nj.ProofOK == nil || *nj.ProofOK}
	}
	slices.SortStableFunc(in.Neurons, func(a, b Neuron) int { return cmp.Compare(a.UID, b.UID) })
	for _, rows := range [][]Row{in.Weights, in.Bonds} {
		slices.SortStableFunc(rows, func(a, b Row) int { return cmp.Compare(a.UID, b.UID) })
		for _, r := range rows {
			slices.SortStableFunc(r.Weights, func(a, b Weight) int { return cmp.Compare(a.UID, b.UID) })
		}
	}
	return in, nil
}
