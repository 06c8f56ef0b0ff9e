package explorer

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/scoring"
)

// fakeSource is a synthetic chain of one subnet with n UIDs: UIDs below
// vals are validators with stake that set weights on every miner; odd
// miners have no proof and earn nothing.
type fakeSource struct {
	n, vals int
	down    bool
	mg      chain.Metagraph
	rec     chain.EpochRecord
	wi      chain.WeightsInfo
}

func fakeAddr(i int) chain.Address {
	h := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
	var a chain.Address
	copy(a[:], h[:])
	return a
}

func newFake(n, vals int) *fakeSource {
	f := &fakeSource{n: n, vals: vals}
	h := chain.DefaultHyperparams()
	h.MaxUIDs, h.MaxValidators, h.Tempo = chain.MaxUIDsLimit, uint16(vals), 10
	sn := chain.Subnet{ID: 1, Name: "mnist", Owner: fakeAddr(99999), Hyper: h, N: uint16(n), Epoch: 7, EpochStart: 70,
		Task: chain.TaskSpec{Arch: "49-16-10", InputSize: 49, OutputSize: 10, ScoringRule: chain.ScoringYuma}}
	sn.Task.CircuitID[0], sn.Task.VKHash[0] = 0xC1, 0x7E
	si := chain.SubnetInfo{Subnet: sn, PendingEmission: 12345, NextEpochAt: 80}
	f.mg = chain.Metagraph{Subnet: si, Epoch: chain.EpochInfo{Subnet: 1, Epoch: 7, StartHeight: 70, NextEpochHeight: 80, Tempo: 10, Height: 75}}
	f.rec = chain.EpochRecord{Subnet: 1, Epoch: 6, Block: 69, Emission: 1_000_000_000}
	f.wi = chain.WeightsInfo{Subnet: 1, Epoch: 7, Rows: []chain.WeightsRow{}, Commits: []chain.WeightsCommit{}}
	var miners []scoring.Weight
	for i := vals; i < n; i++ {
		miners = append(miners, scoring.Weight{UID: uint16(i), Value: uint16(1000 + i%7*1000)})
	}
	for i := range n {
		ni := chain.NeuronInfo{Neuron: chain.Neuron{UID: uint16(i), Hotkey: fakeAddr(i), Owner: fakeAddr(i + 50000),
			Endpoint: fmt.Sprintf("http://10.0.%d.%d:8091", i/256, i%256), Hardware: "1x H100"}}
		ni.ModelCommitment[0] = byte(i)
		u := chain.UIDResult{UID: uint16(i), Hotkey: ni.Hotkey}
		if i < vals {
			ni.Stake, ni.ValidatorPermit = uint64(1_000_000_000*(i+1)), true
			ni.Dividends = uint64(scoring.One) / uint64(vals)
			ni.Emission = 500_000_000 / uint64(vals)
			u.Trust, u.Active = uint64(scoring.One), true
			f.wi.Rows = append(f.wi.Rows, chain.WeightsRow{UID: uint16(i), Epoch: 7, Block: 72, Weights: miners})
		} else if i%2 == 0 {
			ni.HasProof, ni.ProofEpoch, ni.ProofOK = true, 7, true
			ni.Incentive = uint64(scoring.One) / uint64(n)
			ni.Emission = 1000 + uint64(i)
			u.Consensus, u.Active, u.ProofOK = uint64(scoring.One)/uint64(n), true, true
		} else {
			ni.HasProof, ni.ProofEpoch = true, 3
		}
		u.Stake, u.Incentive, u.Dividends, u.Emission = ni.Stake, ni.Incentive, ni.Dividends, ni.Emission
		f.mg.Neurons = append(f.mg.Neurons, ni)
		f.rec.Neurons = append(f.rec.Neurons, u)
		if ni.ProofOK {
			f.rec.Proofs++
		}
	}
	return f
}

var errDown = fmt.Errorf("%w: connection refused", ErrUnavailable)

func (f *fakeSource) check() error {
	if f.down {
		return errDown
	}
	return nil
}

func (f *fakeSource) Status(context.Context) (ChainStatus, error) {
	return ChainStatus{ChainID: "fake", Height: 75, BlockTime: time.Now(), Validators: []Validator{{Address: "AB", VotingPower: 10}}}, f.check()
}
func (f *fakeSource) Blocks(_ context.Context, minH, maxH int64) ([]BlockMeta, error) {
	var out []BlockMeta
	for h := maxH; h >= minH; h-- {
		out = append(out, BlockMeta{Height: h, Time: time.Now().Add(time.Duration(h-maxH) * time.Second)})
	}
	return out, f.check()
}
func (f *fakeSource) Block(_ context.Context, h int64) (*Block, error) {
	return &Block{BlockInfo: client.BlockInfo{Height: h}, Txs: []TxView{}}, f.check()
}
func (f *fakeSource) Tx(context.Context, [32]byte) (*client.TxInfo, error) {
	return nil, fmt.Errorf("tx: %w", chain.ErrNotFound)
}
func (f *fakeSource) Subnets(context.Context) (chain.SubnetsInfo, error) {
	return chain.SubnetsInfo{Subnets: []chain.SubnetInfo{f.mg.Subnet}, NextCreateBurn: 5}, f.check()
}
func (f *fakeSource) Subnet(_ context.Context, id uint16) (chain.SubnetInfo, error) {
	if id != 1 {
		return chain.SubnetInfo{}, fmt.Errorf("query: %w", &chain.TxError{Code: chain.ErrSubnetNotFound.Code, Log: "subnet_not_found"})
	}
	return f.mg.Subnet, f.check()
}
func (f *fakeSource) Metagraph(_ context.Context, id uint16) (chain.Metagraph, error) {
	if err := f.check(); err != nil {
		return chain.Metagraph{}, err
	}
	if id != 1 {
		return chain.Metagraph{}, fmt.Errorf("query: %w", &chain.TxError{Code: chain.ErrSubnetNotFound.Code, Log: "subnet_not_found"})
	}
	mg := f.mg
	mg.Neurons = append([]chain.NeuronInfo(nil), f.mg.Neurons...)
	return mg, nil
}
func (f *fakeSource) Weights(context.Context, uint16) (chain.WeightsInfo, error) {
	return f.wi, f.check()
}
func (f *fakeSource) Emissions(context.Context, uint16) (chain.EpochRecord, error) {
	r := f.rec
	r.Neurons = append([]chain.UIDResult(nil), f.rec.Neurons...)
	return r, f.check()
}
func (f *fakeSource) Tokenomics(context.Context) (chain.Tokenomics, error) {
	return chain.Tokenomics{Supply: 1e15}, f.check()
}
func (f *fakeSource) EpochHistory(context.Context, uint16, int) ([]EpochHistoryRecord, error) {
	old := f.rec
	old.Epoch, old.Block = 5, 59
	return []EpochHistoryRecord{{EpochRecord: old, Partial: true}}, f.check()
}
func (f *fakeSource) Nodes() []NodeHealth {
	return []NodeHealth{{Address: "tcp://fake:1", Up: !f.down, Current: true}}
}
