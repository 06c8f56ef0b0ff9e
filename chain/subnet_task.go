package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/veritensor/veritensor/internal/task"
)

// TxSubnetCreateTask creates a subnet that carries its task spec (protocol
// version 3). Type 10 (subnet-create, arch only) stays valid.
const TxSubnetCreateTask TxType = 20

// MaxTaskSpecLen bounds the task spec a subnet stores on chain (a built-in
// spec is about 400 bytes).
const MaxTaskSpecLen = 4096

// MsgSubnetCreateTask creates a subnet owned by the signer whose task is the
// given spec file (internal/task), stored on chain and addressed by its
// SHA-256. Body: name (string) | task (bytes, <= MaxTaskSpecLen, the
// canonical encoding) | ceremony (u32) | dataset_commitment (32) |
// scoring_rule (string) | hyperparams.
//
// A task with require_proof=true needs, like subnet-create, a usable sealed
// phase-2 ceremony for its arch's circuit. A task with require_proof=false
// (proof-less: miners answer without proofs, validators grade outputs only)
// names no ceremony (0), stores no verifying key, and its require_proof
// hyperparameter must be false, now and after every subnet-update.
type MsgSubnetCreateTask struct {
	Name              string      `json:"name"`
	Task              []byte      `json:"task"`
	Ceremony          uint32      `json:"ceremony"`
	DatasetCommitment Hash32      `json:"dataset_commitment"`
	ScoringRule       string      `json:"scoring_rule"`
	Hyper             Hyperparams `json:"hyperparams"`
}

func init() {
	RegisterMsg(TxSubnetCreateTask, "subnet-create-task", decodeSubnetCreateTask)
	RegisterQuery("task", func(s *State, rest string, _ []byte) (any, error) {
		sn, err := s.subnetArg(rest)
		if err != nil {
			return nil, err
		}
		spec, ok := s.SubnetTask(sn.ID)
		if !ok {
			return nil, fmt.Errorf("%w: subnet %d was created without a task spec (subnet-create, arch %s)", ErrNotFound, sn.ID, sn.Task.Arch)
		}
		return TaskInfo{Subnet: sn.ID, TaskHash: sha256.Sum256(spec), RequireProof: !sn.Task.Proofless, Spec: spec}, nil
	})
}

// TaskInfo answers /task/<id>: the subnet's task spec as stored (its
// canonical encoding; base64 in JSON so that the bytes, and so the hash,
// survive the transport unchanged).
type TaskInfo struct {
	Subnet       uint16 `json:"subnet"`
	TaskHash     Hash32 `json:"task_hash"`
	RequireProof bool   `json:"require_proof"`
	Spec         []byte `json:"spec"`
}

// SubnetTask returns the subnet's stored task spec, if it was created with
// one.
func (s *State) SubnetTask(id uint16) ([]byte, bool) {
	return s.Get(idKey(prefixSubnetTask, id))
}

func decodeSubnetCreateTask(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgSubnetCreateTask
	m.Name = d.String(MaxSubnetNameLen, "name")
	m.Task = d.VarBytes(MaxTaskSpecLen, "task")
	m.Ceremony = d.Uint32("ceremony")
	copy(m.DatasetCommitment[:], d.Fixed(32, "dataset_commitment"))
	m.ScoringRule = d.String(16, "scoring_rule")
	m.Hyper = decodeHyperparams(d)
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgSubnetCreateTask) Type() TxType { return TxSubnetCreateTask }

// MarshalBody implements Msg.
func (m *MsgSubnetCreateTask) MarshalBody() []byte {
	e := NewEncoder(256 + len(m.Task))
	e.String(m.Name).VarBytes(m.Task).Uint32(m.Ceremony).Fixed(m.DatasetCommitment[:]).String(m.ScoringRule)
	m.Hyper.encode(e)
	return e.Bytes()
}

// spec parses the task: a valid spec in its canonical encoding.
func (m *MsgSubnetCreateTask) spec() (task.Spec, error) {
	s, canonical, err := task.Parse(m.Task)
	if err != nil {
		return task.Spec{}, fmt.Errorf("%w: task spec: %v", ErrInvalidMsg, err)
	}
	if !canonical {
		return task.Spec{}, fmt.Errorf("%w: task spec is not in its canonical encoding (veritensor task validate --canonical)", ErrInvalidMsg)
	}
	return s, nil
}

// ValidateBasic checks the name, the task spec (valid, canonical), the
// scoring rule and the hyperparameters; a proof-less task names no
// ceremony and sets require_proof false.
func (m *MsgSubnetCreateTask) ValidateBasic() error {
	if !printable(m.Name) {
		return fmt.Errorf("%w: subnet name must be printable ASCII", ErrInvalidMsg)
	}
	spec, err := m.spec()
	if err != nil {
		return err
	}
	if m.ScoringRule != ScoringYuma && m.ScoringRule != ScoringYuma3 {
		return fmt.Errorf("%w: scoring rule %q (want %s or %s)", ErrInvalidMsg, m.ScoringRule, ScoringYuma, ScoringYuma3)
	}
	if err := m.Hyper.Validate(); err != nil {
		return err
	}
	if !spec.RequireProof {
		if m.Ceremony != 0 {
			return fmt.Errorf("%w: task %s needs no proof; name no ceremony (0), not %d", ErrInvalidMsg, spec.Name, m.Ceremony)
		}
		if m.Hyper.RequireProof {
			return fmt.Errorf("%w: require_proof must be false for proof-less task %s", ErrHyperparams, spec.Name)
		}
	}
	return nil
}

// Execute checks the ceremony (proof-required tasks: as subnet-create, and
// its circuit must be the spec's model.circuit_id, which names the proof
// scheme), burns the creation fee and stores the subnet, its task spec
// under sntask/<id> and, for a proof-required task, the ceremony's
// verifying key.
func (m *MsgSubnetCreateTask) Execute(tc *TxContext) error {
	s := tc.State
	p := s.Params()
	spec, err := m.spec()
	if err != nil {
		return err
	}
	arch, err := spec.Arch()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMsg, err)
	}
	var cer *Ceremony
	var vk []byte
	if spec.RequireProof {
		if cer, err = s.UsableCircuitCeremony(m.Ceremony, arch); err != nil {
			return err
		}
		if want := hex.EncodeToString(cer.CircuitID[:]); spec.Model.CircuitID != want {
			return fmt.Errorf("%w: the task declares circuit %.16s, ceremony %d is for circuit %.16s (the spec's circuit ID names the proof scheme)",
				ErrCeremonyMismatch, spec.Model.CircuitID, cer.ID, want)
		}
		vk = s.CeremonyVK(cer.ID)
	}
	if n := len(s.Subnets()); uint64(n) >= p.MaxSubnets {
		return fmt.Errorf("%w: %d subnets, limit %d", ErrTooManySubnets, n, p.MaxSubnets)
	}
	next := s.getU64(keySubnetNext)
	if next > 0xffff {
		return fmt.Errorf("%w: subnet IDs exhausted", ErrTooManySubnets)
	}
	burn, err := s.SubnetCreateBurn()
	if err != nil {
		return err
	}
	if err := s.burnTracked(tc.Signer, burn); err != nil {
		return err
	}
	h := uint64(tc.Block.Height)
	th := Hash32(sha256.Sum256(m.Task))
	ts := TaskSpec{Arch: arch.String(), CircuitID: arch.CircuitID(),
		InputSize: uint32(arch.Inputs()), OutputSize: uint32(arch.Outputs()),
		DatasetCommitment: m.DatasetCommitment, ScoringRule: m.ScoringRule, TaskHash: &th, Proofless: !spec.RequireProof}
	if cer != nil {
		ts.CircuitID, ts.Ceremony, ts.VKHash, ts.PKHash = cer.CircuitID, cer.ID, sha256.Sum256(vk), cer.PKHash
	}
	sn := &Subnet{ID: uint16(next), Name: m.Name, Owner: tc.Signer, Hyper: m.Hyper, CreatedAt: h, EpochStart: h + 1, Task: ts}
	if err := s.putSubnet(sn); err != nil {
		return err
	}
	if vk != nil {
		s.Set(idKey(prefixSubnetVK, sn.ID), vk)
	}
	s.Set(idKey(prefixSubnetTask, sn.ID), append([]byte(nil), m.Task...))
	s.setU64(keySubnetNext, next+1)
	tc.Emit("subnet_create", "subnet", strconv.Itoa(int(sn.ID)), "owner", tc.Signer.String(),
		"burn", strconv.FormatUint(burn, 10), "circuit_id", sn.Task.CircuitID.String(),
		"ceremony", strconv.FormatUint(uint64(ts.Ceremony), 10), "task_hash", th.String(),
		"require_proof", strconv.FormatBool(spec.RequireProof))
	return nil
}
