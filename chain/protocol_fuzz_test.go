package chain

import (
	"bytes"
	"errors"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

// fuzzBody checks one message decoder: it never panics, rejects with
// ErrMalformed (shape) or a coded validation error, and whatever it accepts
// re-encodes to exactly the input (one encoding per message).
func fuzzBody(f *testing.F, typ TxType, seeds ...Msg) {
	for _, m := range seeds {
		f.Add(m.MarshalBody())
	}
	f.Add([]byte{})
	f.Add([]byte{0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMsg(typ, b)
		if err != nil {
			var ce *CodedError
			if !errors.As(err, &ce) {
				t.Fatalf("uncoded error: %v", err)
			}
			return
		}
		if !bytes.Equal(m.MarshalBody(), b) {
			t.Fatalf("accepted a non-canonical %s body", TypeName(typ))
		}
	})
}

func FuzzDecodeSubnetCreate(f *testing.F) {
	fuzzBody(f, TxSubnetCreate, &MsgSubnetCreate{Name: "n", Arch: smallArch, Ceremony: 3, ScoringRule: ScoringYuma3, Hyper: DefaultHyperparams()},
		&MsgSubnetCreate{Name: "n", Arch: "784-64-10", Ceremony: 1 << 31, ScoringRule: ScoringYuma, Hyper: DefaultHyperparams()})
}

func FuzzDecodeCeremonyOpen(f *testing.F) {
	fuzzBody(f, TxCeremonyOpen, &MsgCeremonyOpen{Phase: CeremonyPhase1, Power: 18, Init: Hash32{1}, Source: "/srv/c"},
		&MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: smallArch, Phase1: 7, Init: Hash32{2}, Source: "https://x/c",
			Allowed: []Address{{1}, {2}, {3}}},
		&MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: "49-16-10", Scheme: zk.SchemeCommit, Phase1: 1, Init: Hash32{3}, Source: "/srv/c"})
}

func FuzzDecodeCeremonyContribute(f *testing.F) {
	fuzzBody(f, TxCeremonyContribute, &MsgCeremonyContribute{Ceremony: 2, Prev: Hash32{1}, Hash: Hash32{2}})
}

func FuzzDecodeCeremonySeal(f *testing.F) {
	fuzzBody(f, TxCeremonySeal, &MsgCeremonySeal{Ceremony: 2, Head: Hash32{1}, Output: Hash32{2}},
		&MsgCeremonySeal{Ceremony: 3, Head: Hash32{1}, Output: Hash32{2}, PKHash: Hash32{3}, VK: []byte{1, 2, 3}})
}

func FuzzDecodeSubnetUpdate(f *testing.F) {
	fuzzBody(f, TxSubnetUpdate, &MsgSubnetUpdate{Subnet: 3, Hyper: DefaultHyperparams()})
}

func FuzzDecodeRegister(f *testing.F) {
	fuzzBody(f, TxRegister, NewMsgRegister(testChainID, 1, addrOf(testKey(1)), testKey(2)))
}

func FuzzDecodeServe(f *testing.F) {
	fuzzBody(f, TxServe, &MsgServe{Subnet: 1, Endpoint: "http://x:8091", ModelCommitment: Hash32{1}, Hardware: "gpu"},
		&MsgServe{Subnet: 2, ModelCommitment: Hash32{0x80, 1}}) // a commit subnet's model point has flag bits
}

func FuzzDecodeStake(f *testing.F) {
	fuzzBody(f, TxStake, &MsgStake{Subnet: 1, Hotkey: addrOf(testKey(1)), Amount: 5})
}

func FuzzDecodeUnstake(f *testing.F) {
	fuzzBody(f, TxUnstake, &MsgUnstake{Subnet: 1, Hotkey: addrOf(testKey(1)), Amount: 5})
}

func FuzzDecodeSetWeights(f *testing.F) {
	fuzzBody(f, TxSetWeights, &MsgSetWeights{Subnet: 1, Weights: w(0, 1, 5, 65535)})
}

func FuzzDecodeCommitWeights(f *testing.F) {
	fuzzBody(f, TxCommitWeights, &MsgCommitWeights{Subnet: 1, Hash: Hash32{9}})
}

func FuzzDecodeRevealWeights(f *testing.F) {
	fuzzBody(f, TxRevealWeights, &MsgRevealWeights{Subnet: 1, Weights: w(2, 7), Salt: []byte("salt")})
}

func FuzzDecodeSubmitProof(f *testing.F) {
	fuzzBody(f, TxSubmitProof, &MsgSubmitProof{Subnet: 1, Epoch: 4, Output: 3, Proof: bytes.Repeat([]byte{7}, 196)})
}

// FuzzProtocolDeliver: arbitrary protocol bodies, signed by a registered
// hotkey or the owner, against a state with a subnet never panic; a
// rejected one changes nothing and the supply invariant holds.
func FuzzProtocolDeliver(f *testing.F) {
	e := newEnv(f, 3)
	id := e.createSubnet(testKey(0), testHyper())
	e.register(id, testKey(0), testKey(11))
	e.fund(testKey(0), addrOf(testKey(11)))
	cid, ck := e.createCommitSubnet(testKey(0), testHyper()) // serve validates its commitment as a G1 point
	e.register(cid, testKey(0), testKey(11))
	model := testModel(f, ck.arch, 1)
	base := e.s.Clone()
	base.ChangeSet()
	f.Add(uint8(TxServe-TxSubnetCreate), (&MsgServe{Subnet: cid, ModelCommitment: ck.commitment(f, model)}).MarshalBody(), true)
	f.Add(uint8(TxServe-TxSubnetCreate), (&MsgServe{Subnet: cid, ModelCommitment: model.Commitment()}).MarshalBody(), true)
	f.Add(uint8(TxServe-TxSubnetCreate), (&MsgServe{Subnet: id, ModelCommitment: model.Commitment()}).MarshalBody(), true)
	f.Add(uint8(TxStake), (&MsgStake{Subnet: id, Hotkey: addrOf(testKey(11)), Amount: 5}).MarshalBody(), false)
	f.Add(uint8(TxSetWeights), (&MsgSetWeights{Subnet: id, Weights: w(0, 1)}).MarshalBody(), true)
	f.Add(uint8(TxCommitWeights), (&MsgCommitWeights{Subnet: id, Hash: Hash32{1}}).MarshalBody(), true)
	f.Add(uint8(TxUnstake), (&MsgUnstake{Subnet: id, Hotkey: addrOf(testKey(11)), Amount: 5}).MarshalBody(), false)
	f.Fuzz(func(t *testing.T, typ uint8, body []byte, hot bool) {
		s := base.Clone()
		key := testKey(0)
		if hot {
			key = testKey(11)
		}
		tx := &Tx{ChainID: testChainID, Type: TxSubnetCreate + TxType(typ%10), Nonce: s.Account(addrOf(key)).Nonce, Fee: 100, Body: body}
		tx.Sign(key)
		_, err := s.ExecTx(BlockContext{Height: 5}, tx.Marshal(), nil)
		if cs := s.ChangeSet(); err != nil && len(cs) != 0 {
			t.Fatalf("rejected tx (%v) changed %d keys", err, len(cs))
		}
		if err := s.CheckProtocolSupply(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzStateDecoders: the binary state decoders (neuron, weights row, epoch
// record) never panic, and whatever they accept re-encodes to the input.
// State is written only by the chain, but a damaged store must not crash a
// node.
func FuzzStateDecoders(f *testing.F) {
	f.Add(encodeNeuron(&Neuron{UID: 3, HotkeyPub: make([]byte, 32), Endpoint: "http://x", Hardware: "cpu", Stake: 9}))
	f.Add(encodeRow(WeightsRow{Epoch: 2, Block: 7, Since: 5, Weights: w(1, 5, 3, 65535)}))
	f.Add(encodeEpochRecord(&EpochRecord{Subnet: 1, Epoch: 4, Neurons: []UIDResult{{UID: 0, Active: true, Emission: 5}, {UID: 1, ProofOK: true}}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, ok := decodeNeuron(b); ok && !bytes.Equal(encodeNeuron(n), b) {
			t.Fatal("non-canonical neuron accepted")
		}
		if r, ok := decodeRow(0, b); ok && !bytes.Equal(encodeRow(r), b) {
			t.Fatal("non-canonical weights row accepted")
		}
		if r, ok := decodeEpochRecord(b); ok && !bytes.Equal(encodeEpochRecord(r), b) {
			t.Fatal("non-canonical epoch record accepted")
		}
	})
}
