package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

func specBytes(t testing.TB, name string, requireProof bool) []byte {
	t.Helper()
	s, err := task.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	s.RequireProof = requireProof
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func queryTask(t testing.TB, s *State, id uint16) (TaskInfo, error) {
	t.Helper()
	v, err := queries["task"](s, strconv.Itoa(int(id)), nil)
	if err != nil {
		return TaskInfo{}, err
	}
	return v.(TaskInfo), nil
}

// A proof-less task makes a subnet with no ceremony and no verifying key;
// its spec is stored and served by /task with its hash; submit-proof and a
// require_proof hyperparameter are refused; miners earn without proofs.
func TestSubnetCreateTaskProofless(t *testing.T) {
	e := newEnv(t, 8)
	owner := testKey(0)
	spec := specBytes(t, "mnist-7x7", false)
	h := testHyper()
	h.CommitReveal = false

	// require_proof=true with a proof-less task, a ceremony, a non-canonical
	// or invalid spec: refused, nothing changes.
	h.RequireProof = true
	e.reject(owner, &MsgSubnetCreateTask{Name: "pl", Task: spec, ScoringRule: ScoringYuma, Hyper: h}, ErrHyperparams)
	h.RequireProof = false
	e.reject(owner, &MsgSubnetCreateTask{Name: "pl", Task: spec, Ceremony: 1, ScoringRule: ScoringYuma, Hyper: h}, ErrInvalidMsg)
	spaced := append(bytes.Replace(spec, []byte(`,"`), []byte(`, "`), 1), ' ')
	e.reject(owner, &MsgSubnetCreateTask{Name: "pl", Task: spaced, ScoringRule: ScoringYuma, Hyper: h}, ErrInvalidMsg)
	e.reject(owner, &MsgSubnetCreateTask{Name: "pl", Task: []byte(`{"version":1}`), ScoringRule: ScoringYuma, Hyper: h}, ErrInvalidMsg)

	id := uint16(e.s.getU64(keySubnetNext))
	e.ok(owner, &MsgSubnetCreateTask{Name: "pl", Task: spec, ScoringRule: ScoringYuma, Hyper: h})
	e.endBlock()
	sn, err := e.s.Subnet(id)
	if err != nil {
		t.Fatal(err)
	}
	want := Hash32(sha256.Sum256(spec))
	if !sn.Task.Proofless || sn.Task.TaskHash == nil || *sn.Task.TaskHash != want || sn.Task.Arch != "49-16-10" ||
		sn.Task.Ceremony != 0 || !sn.Task.VKHash.IsZero() || len(e.s.SubnetVK(id)) != 0 {
		t.Fatalf("stored task %+v, vk %d bytes", sn.Task, len(e.s.SubnetVK(id)))
	}
	ti, err := queryTask(t, e.s, id)
	if err != nil {
		t.Fatal(err)
	}
	if ti.TaskHash != want || !bytes.Equal(ti.Spec, spec) || ti.RequireProof {
		t.Fatalf("/task answered %+v", ti)
	}

	// The owner cannot turn require_proof on: there is no key to verify with.
	h2 := h
	h2.RequireProof = true
	e.reject(owner, &MsgSubnetUpdate{Subnet: id, Hyper: h2}, ErrHyperparams)

	// A miner that serves and never proves earns incentive.
	v, miner := testKey(3), testKey(4)
	e.register(id, owner, v)
	muid := e.register(id, owner, miner)
	e.ok(testKey(1), &MsgStake{Subnet: id, Hotkey: addrOf(v), Amount: 1_000_000})
	e.fund(owner, addrOf(v))
	e.fund(owner, addrOf(miner))
	e.ok(miner, &MsgServe{Subnet: id, ModelCommitment: testModel(t, smallKeysArch(t), 1).Commitment()})
	e.nextEpoch(id)
	sn, _ = e.s.Subnet(id)
	e.reject(miner, &MsgSubmitProof{Subnet: id, Epoch: sn.Epoch, Output: 1, Proof: []byte{1, 2, 3}}, ErrProofInvalid)
	e.ok(v, &MsgSetWeights{Subnet: id, Weights: []scoring.Weight{{UID: muid, Value: 1}}})
	e.advanceTo(sn.NextEpochAt())
	rec := e.s.EpochRecord(id)
	if rec == nil || rec.Epoch != sn.Epoch {
		t.Fatalf("epoch %d not recorded: %+v", sn.Epoch, rec)
	}
	paid := false
	for _, n := range rec.Neurons {
		paid = paid || (n.UID == muid && n.MinerEmission > 0)
	}
	if !paid {
		t.Fatalf("proof-less subnet: miner uid %d earned nothing: %+v", muid, rec)
	}
}

// A proof-required task still needs a usable ceremony for its circuit, and
// stores the verifying key and the spec.
func TestSubnetCreateTaskProven(t *testing.T) {
	e := newEnv(t, 4)
	e.keys = smallSetup(t)
	e.fund(testKey(0), addrOf(testKey(1)))
	// The seal parses the vk but does not check it is the arch's: the small
	// test circuit's key stands in for 49-16-10's.
	cer := e.ceremonies().sealedCeremony(testKey(0), testKey(1), "49-16-10", e.keys.vk, e.keys.pkHash)
	spec := specBytes(t, "mnist-7x7", true)
	h := testHyper()
	e.reject(testKey(0), &MsgSubnetCreateTask{Name: "p", Task: spec, Ceremony: cer + 7, ScoringRule: ScoringYuma, Hyper: h}, ErrCeremonyNotFound)
	cnn := specBytes(t, "mnist-cnn", true)
	e.reject(testKey(0), &MsgSubnetCreateTask{Name: "p", Task: cnn, Ceremony: cer, ScoringRule: ScoringYuma, Hyper: h}, ErrCeremonyMismatch)
	id := uint16(e.s.getU64(keySubnetNext))
	e.ok(testKey(0), &MsgSubnetCreateTask{Name: "p", Task: spec, Ceremony: cer, ScoringRule: ScoringYuma, Hyper: h})
	e.endBlock()
	sn, err := e.s.Subnet(id)
	if err != nil {
		t.Fatal(err)
	}
	if sn.Task.Proofless || sn.Task.Ceremony != cer || !bytes.Equal(e.s.SubnetVK(id), e.keys.vk) || *sn.Task.TaskHash != sha256.Sum256(spec) {
		t.Fatalf("stored %+v", sn.Task)
	}
	// A subnet of type 10 has no spec: /task says not_found.
	if _, err := queryTask(t, e.s, e.createSubnet(testKey(0), h)); !errorsIs(err, ErrNotFound) {
		t.Fatalf("/task of a subnet-create subnet: %v", err)
	}
}

// TestSubnetCreateTaskScheme: a task spec names its proof scheme by its
// model.circuit_id, and the ceremony must be for that circuit: a spec of the
// commit circuit with a commit ceremony makes a commit-scheme subnet; a spec
// of the hash circuit with a commit ceremony, or the reverse, is
// ceremony_circuit_mismatch with nothing changed.
func TestSubnetCreateTaskScheme(t *testing.T) {
	e := newEnv(t, 4)
	hk, ck := smallSetup(t), commitSetup(t)
	e.fund(testKey(0), addrOf(testKey(1)))
	// The seal parses the vk under the ceremony's scheme but does not check
	// it is the arch's: the small circuits' keys stand in for 49-16-10's.
	hashCer := e.ceremonies().sealedCeremony(testKey(0), testKey(1), "49-16-10", hk.vk, hk.pkHash)
	commitCer := e.ceremonies().sealedSchemeCeremony(testKey(0), testKey(1), "49-16-10", zk.SchemeCommit, ck.vk, ck.pkHash)
	hashSpec := specBytes(t, "mnist-7x7", true)
	s, err := task.Builtin("mnist-7x7")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Arch()
	if err != nil {
		t.Fatal(err)
	}
	cid := zk.CommitCircuitID(a)
	s.Model.CircuitID = hex.EncodeToString(cid[:])
	commitSpec, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	h := testHyper()
	e.reject(testKey(0), &MsgSubnetCreateTask{Name: "p", Task: hashSpec, Ceremony: commitCer, ScoringRule: ScoringYuma, Hyper: h}, ErrCeremonyMismatch)
	e.reject(testKey(0), &MsgSubnetCreateTask{Name: "p", Task: commitSpec, Ceremony: hashCer, ScoringRule: ScoringYuma, Hyper: h}, ErrCeremonyMismatch)
	id := uint16(e.s.getU64(keySubnetNext))
	e.ok(testKey(0), &MsgSubnetCreateTask{Name: "p", Task: commitSpec, Ceremony: commitCer, ScoringRule: ScoringYuma, Hyper: h})
	sn, err := e.s.Subnet(id)
	if err != nil {
		t.Fatal(err)
	}
	if sc, err := sn.Task.Scheme(); err != nil || sc != zk.SchemeCommit || sn.Task.CircuitID != cid || !bytes.Equal(e.s.SubnetVK(id), ck.vk) {
		t.Fatalf("stored %+v (scheme %v, %v)", sn.Task, sc, err)
	}
	e.ok(testKey(0), &MsgSubnetCreateTask{Name: "q", Task: hashSpec, Ceremony: hashCer, ScoringRule: ScoringYuma, Hyper: h})
}

func FuzzDecodeSubnetCreateTask(f *testing.F) {
	f.Add((&MsgSubnetCreateTask{Name: "x", Task: specBytes(f, "mnist", true), ScoringRule: ScoringYuma, Hyper: DefaultHyperparams()}).MarshalBody())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeSubnetCreateTask(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.MarshalBody(), b) {
			t.Fatalf("decode/encode round trip differs")
		}
		_ = m.ValidateBasic()
	})
}

func smallKeysArch(t testing.TB) zk.Arch {
	t.Helper()
	a, err := zk.ParseArch(smallArch)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
