package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/veritensor/veritensor/scoring"
)

func benchKey(i int) ed25519.PrivateKey {
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("bench"), uint64(i)))
	return ed25519.NewKeyFromSeed(seed[:])
}

// BenchmarkDeliverSubmitProof is one submit-proof through ExecTx: decode,
// signature, state lookups, challenge derivation and Groth16 verification
// (pairing cost does not depend on the circuit size: 5 public inputs).
func BenchmarkDeliverSubmitProof(b *testing.B) {
	e := newEnv(b, 2)
	id := e.createSubnet(testKey(0), testHyper())
	m := testKey(11)
	e.register(id, testKey(0), m)
	e.fund(testKey(0), addrOf(m))
	model := testModel(b, e.keys.arch, 1)
	e.ok(m, &MsgServe{Subnet: id, ModelCommitment: model.Commitment()})
	raw := NewTx(testChainID, e.prove(id, m, model), m, e.s.Account(addrOf(m)).Nonce, proofFee).Marshal()
	base := e.s.Clone()
	ctx := e.ctx()
	b.ReportAllocs()
	for b.Loop() {
		verifiedProofs.Purge() // measure the verification, not the cache
		s := base.Clone()
		if _, err := s.ExecTx(ctx, raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverSubmitProofCommit is BenchmarkDeliverSubmitProof on a
// commit-scheme subnet: the commit circuit's verifier (4 public inputs, the
// model point compared byte for byte, then Groth16 + BSB22).
func BenchmarkDeliverSubmitProofCommit(b *testing.B) {
	e := newEnv(b, 2)
	id, ck := e.createCommitSubnet(testKey(0), testHyper())
	m := testKey(11)
	e.register(id, testKey(0), m)
	e.fund(testKey(0), addrOf(m))
	model := testModel(b, ck.arch, 1)
	e.ok(m, &MsgServe{Subnet: id, ModelCommitment: ck.commitment(b, model)})
	raw := NewTx(testChainID, e.proveWith(ck, id, m, model), m, e.s.Account(addrOf(m)).Nonce, proofFee).Marshal()
	base := e.s.Clone()
	ctx := e.ctx()
	b.ReportAllocs()
	for b.Loop() {
		verifiedProofs.Purge() // measure the verification, not the cache
		s := base.Clone()
		if _, err := s.ExecTx(ctx, raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverServe is one serve through ExecTx on a hash-scheme subnet
// (the commitment checked as a field element) and on a commit-scheme subnet
// (the model point decompressed and re-encoded: one square root in Fp).
func BenchmarkDeliverServe(b *testing.B) {
	e := newEnv(b, 2)
	hashID := e.createSubnet(testKey(0), testHyper())
	commitID, ck := e.createCommitSubnet(testKey(0), testHyper())
	m := testKey(11)
	e.register(hashID, testKey(0), m)
	e.register(commitID, testKey(0), m)
	e.fund(testKey(0), addrOf(m))
	model := testModel(b, ck.arch, 1)
	for _, tc := range []struct {
		name string
		msg  *MsgServe
	}{
		{"hash", &MsgServe{Subnet: hashID, Endpoint: "http://m:8091", ModelCommitment: model.Commitment()}},
		{"commit", &MsgServe{Subnet: commitID, Endpoint: "http://m:8091", ModelCommitment: ck.commitment(b, model)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			raw := NewTx(testChainID, tc.msg, m, e.s.Account(addrOf(m)).Nonce, proofFee).Marshal()
			base := e.s.Clone()
			ctx := e.ctx()
			b.ReportAllocs()
			for b.Loop() {
				s := base.Clone()
				if _, err := s.ExecTx(ctx, raw, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEpochEndBlock256 is the end block that closes an epoch of a
// subnet with 256 UIDs: 64 staked validators each weighting the 192 miners,
// every miner with a proof. It includes building the scoring input from
// state, scoring.Epoch, minting the payouts (dividends compounding into 64
// delegations), and storing bonds and the epoch record.
func BenchmarkEpochEndBlock256(b *testing.B) {
	e := newEnv(b, 2)
	h := testHyper()
	h.MaxUIDs, h.MaxValidators, h.CommitReveal, h.RequireProof = 256, 64, false, false
	id := e.createSubnet(testKey(0), h)
	owner := testKey(0)
	var row []scoring.Weight
	for i := 64; i < 256; i++ {
		row = append(row, scoring.Weight{UID: uint16(i), Value: uint16(1 + i*37%65000)})
	}
	for i := 0; i < 256; i++ {
		e.register(id, owner, benchKey(i))
	}
	for i := 0; i < 64; i++ {
		e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(benchKey(i)), Amount: uint64(1_000_000 + i)})
		e.fund(owner, addrOf(benchKey(i)))
	}
	e.nextEpoch(id) // stake counts from the epoch after it was added
	for i := 0; i < 64; i++ {
		e.ok(benchKey(i), &MsgSetWeights{Subnet: id, Weights: row})
	}
	sn, _ := e.s.Subnet(id)
	e.advanceTo(sn.NextEpochAt() - 1) // the epoch's last block
	base := e.s.Clone()
	ctx := e.ctx()
	b.ReportAllocs()
	for b.Loop() {
		s := base.Clone()
		evs, err := s.EndBlock(ctx)
		if err != nil || len(evs) < 2 {
			b.Fatalf("%v, %d events", err, len(evs))
		}
	}
}

// fullSubnet builds a subnet of n UIDs, all registered, past one paid epoch
// and past immunity, and returns the env, the subnet and a fresh owner.
func fullSubnet(b *testing.B, n int) (*env, uint16) {
	e := newEnv(b, 2)
	h := testHyper()
	h.MaxUIDs, h.MaxValidators, h.CommitReveal, h.RequireProof = uint16(n), uint16(min(n, 64, MaxValidatorCells/n)), false, false
	h.ImmunityPeriod, h.Tempo = 1, 20
	id := e.createSubnet(testKey(0), h)
	for i := 0; i < n; i++ {
		e.register(id, testKey(0), benchKey(i))
		if i%256 == 255 {
			e.endBlock()
		}
	}
	e.nextEpoch(id)
	e.nextEpoch(id)
	e.endBlock()
	return e, id
}

func benchRegisterFull(b *testing.B, n int) {
	e, id := fullSubnet(b, n)
	raw := NewTx(testChainID, NewMsgRegister(testChainID, id, addrOf(testKey(0)), benchKey(1<<20)), testKey(0),
		e.s.Account(addrOf(testKey(0))).Nonce, 100).Marshal()
	base := e.s.Clone()
	ctx := e.ctx()
	b.ReportAllocs()
	defer cpuTimer(b)()
	for b.Loop() {
		s := base.Clone()
		if _, err := s.ExecTx(ctx, raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegisterFull is one register tx into a full subnet (it replaces
// the UID with the lowest pruning score) through ExecTx.
func BenchmarkRegisterFull256(b *testing.B)  { benchRegisterFull(b, 256) }
func BenchmarkRegisterFull1024(b *testing.B) { benchRegisterFull(b, 1024) }
func BenchmarkRegisterFull4096(b *testing.B) { benchRegisterFull(b, 4096) }

// BenchmarkEpochEndBlockWorst is the costliest epoch end block one subnet's
// parameters allow: max_uids 4096 and max_validators MaxValidatorCells/4096,
// every UID staked and setting a full 4096-entry row (only the permitted
// validators' rows are read), bonds from the previous epoch, every miner
// with a proof record.
func BenchmarkEpochEndBlockWorst(b *testing.B) {
	const n = MaxUIDsLimit
	e := newEnv(b, 2)
	h := testHyper()
	h.MaxUIDs, h.MaxValidators, h.CommitReveal, h.RequireProof = n, MaxValidatorCells/n, false, false
	h.Tempo, h.ImmunityPeriod, h.WeightsRateLimit, h.ActivityCutoff = MinTempo, 1, 0, 10_000
	id := e.createSubnet(testKey(0), h)
	owner := testKey(0)
	row := make([]scoring.Weight, n)
	for i := range row {
		row[i] = scoring.Weight{UID: uint16(i), Value: uint16(1 + i*37%65000)}
	}
	for i := 0; i < n; i++ {
		e.register(id, owner, benchKey(i))
		e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(benchKey(i)), Amount: uint64(1_000_000 + i)})
		e.ok(owner, &MsgTransfer{To: addrOf(benchKey(i)), Amount: 1_000_000})
		if i%512 == 511 {
			e.endBlock()
		}
	}
	e.nextEpoch(id)
	for i := 0; i < n; i++ {
		row[i%n].Value = uint16(1 + (i*7919)%65000)
		e.ok(benchKey(i), &MsgSetWeights{Subnet: id, Weights: row})
		if i%512 == 511 {
			e.endBlock()
		}
	}
	e.nextEpoch(id) // bonds from the previous epoch
	sn, _ := e.s.Subnet(id)
	e.advanceTo(sn.NextEpochAt() - 1)
	base := e.s.Clone()
	ctx := e.ctx()
	b.ReportAllocs()
	defer cpuTimer(b)()
	for b.Loop() {
		s := base.Clone()
		evs, err := s.EndBlock(ctx)
		if err != nil || len(evs) < 2 {
			b.Fatalf("%v, %d events", err, len(evs))
		}
	}
}

// cpuTimer reports the process CPU time (user + system, all threads, GC
// included) per iteration as cpu-ns/op: on a shared machine wall time
// measures the neighbours as much as the code.
func cpuTimer(b *testing.B) func() {
	start := cpuNow()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuNow()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCheckTxInvalid is what a node's CheckTx spends on one invalid
// transaction of each kind (each is rejected, so it is retried as is). The
// cheap envelope checks (fee, nonce, funds) come before the signature, and
// the signature before any expensive step (docs/protocol.md, "Validation
// order"); invalid proofs: BenchmarkCheckTxInvalidProof. A transaction
// whose envelope signature verified once is not verified again (the node's
// signature cache by tx hash), as in a real mempool.
func BenchmarkCheckTxInvalid(b *testing.B) {
	p := newProofApp(b, 3)
	p.twoMiners()
	owner, stranger, poor := testKey(0), testKey(9), testKey(7)
	p.okBlock(p.signed(owner, &MsgTransfer{To: addrOf(poor), Amount: 10_000})) // fees, not the burn
	nonce := p.app.check.Account(addrOf(owner)).Nonce
	tx := func(key ed25519.PrivateKey, m Msg, nonce, fee uint64, mut func(*Tx)) []byte {
		t := NewTx(testChainID, m, key, nonce, fee)
		if mut != nil {
			mut(t)
		}
		return t.Marshal()
	}
	badSig := func(t *Tx) { t.Signature[3] ^= 1 }
	xfer := &MsgTransfer{To: addrOf(stranger), Amount: 1}
	create := &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: 1, ScoringRule: ScoringYuma, Hyper: testHyper()}
	cases := []struct {
		name string
		raw  []byte
		want *CodedError
	}{
		{"malformed", []byte("junk"), ErrMalformed},
		{"wrong-chain", NewTx("other", xfer, owner, nonce, 100).Marshal(), ErrChainID},
		{"fee-too-low", tx(owner, xfer, nonce, 1, nil), ErrFeeTooLow},
		{"bad-nonce", tx(owner, xfer, nonce+5, 100, nil), ErrNonce},
		{"unfunded", tx(stranger, xfer, 0, 100, nil), ErrInsufficientFunds},
		{"transfer-bad-sig", tx(owner, xfer, nonce, 100, badSig), ErrBadSignature},
		{"subnet-create-bad-sig", tx(owner, create, nonce, 100, badSig), ErrBadSignature},
		{"subnet-create-no-burn", tx(poor, create, p.app.check.Account(addrOf(poor)).Nonce, 100, nil), ErrInsufficientFunds},
		{"register-bad-hotkey-sig", tx(owner, &MsgRegister{Subnet: 0, Hotkey: make([]byte, 32), HotkeySig: make([]byte, 64)}, nonce, 100, nil), ErrBadSignature},
		{"set-weights-unsorted", tx(owner, &MsgSetWeights{Subnet: 0, Weights: w(1, 1, 0, 1)}, nonce, 200, nil), ErrInvalidWeights},
		{"submit-proof-wrong-epoch", tx(testKey(1), &MsgSubmitProof{Subnet: 0, Epoch: 99, Proof: []byte{1}}, p.app.check.Account(addrOf(testKey(1))).Nonce, proofFee, nil), ErrProofEpoch},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			defer cpuTimer(b)()
			for b.Loop() {
				if err := p.checkTx(c.raw); !errors.Is(err, c.want) {
					b.Fatalf("got %v, want %s", err, c.want.Name)
				}
			}
		})
	}
}
