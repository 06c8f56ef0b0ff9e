package chain

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"net/url"
	"strconv"
)

// Limits of serve's fields.
const (
	MaxEndpointLen = 256
	MaxHardwareLen = 512
)

// RegisterDomain starts the bytes a hotkey signs to prove possession in
// register.
const RegisterDomain = "veritensor/register/v1"

// Neuron is one UID of a subnet.
type Neuron struct {
	UID uint16 `json:"uid"`
	// Hotkey is the address of HotkeyPub; it signs serve, weights and proofs.
	Hotkey    Address `json:"hotkey"`
	HotkeyPub []byte  `json:"hotkey_pub"`
	// Owner is the account that registered the UID and receives miner
	// emission.
	Owner Address `json:"owner"`
	// RegisteredAt is the block of registration.
	RegisteredAt uint64 `json:"registered_at"`
	// LastUpdate is the block of the last set-weights or reveal (or of
	// registration).
	LastUpdate uint64 `json:"last_update"`
	// Stake is the sum of the delegations to Hotkey on this subnet.
	Stake uint64 `json:"stake"`
	// Endpoint, ModelCommitment and Hardware come from serve.
	Endpoint        string `json:"endpoint"`
	ModelCommitment Hash32 `json:"model_commitment"`
	Hardware        string `json:"hardware"`
}

// encodeNeuron is a neuron's stored value (nrn/ + id + uid): uid (u16) |
// hotkey (20) | hotkey_pub (u32 length + bytes) | owner (20) |
// registered_at (u64) | last_update (u64) | stake (u64) | endpoint (string)
// | model_commitment (32) | hardware (string). Binary, not JSON: an epoch
// decodes every neuron of the subnet.
func encodeNeuron(n *Neuron) []byte {
	e := NewEncoder(160 + len(n.Endpoint) + len(n.Hardware))
	e.Uint16(n.UID).Fixed(n.Hotkey[:]).VarBytes(n.HotkeyPub).Fixed(n.Owner[:]).Uint64(n.RegisteredAt).
		Uint64(n.LastUpdate).Uint64(n.Stake).String(n.Endpoint).Fixed(n.ModelCommitment[:]).String(n.Hardware)
	return e.Bytes()
}

func decodeNeuron(v []byte) (*Neuron, bool) {
	d := NewDecoder(v)
	n := &Neuron{UID: d.Uint16("uid")}
	copy(n.Hotkey[:], d.Fixed(AddressLen, "hotkey"))
	n.HotkeyPub = d.VarBytes(ed25519.PublicKeySize, "hotkey_pub")
	copy(n.Owner[:], d.Fixed(AddressLen, "owner"))
	n.RegisteredAt, n.LastUpdate, n.Stake = d.Uint64("registered_at"), d.Uint64("last_update"), d.Uint64("stake")
	n.Endpoint = d.String(MaxEndpointLen, "endpoint")
	copy(n.ModelCommitment[:], d.Fixed(32, "model_commitment"))
	n.Hardware = d.String(MaxHardwareLen, "hardware")
	if d.Finish() != nil {
		return nil, false
	}
	n.HotkeyPub = bytes.Clone(n.HotkeyPub)
	return n, true
}

// Neuron returns the UID of a subnet, or ErrNeuronNotFound.
func (s *State) Neuron(id, uid uint16) (*Neuron, error) {
	v, ok := s.Get(uidKey(prefixNeuron, id, uid))
	n, dok := decodeNeuron(v)
	if !ok || !dok {
		return nil, fmt.Errorf("%w: subnet %d uid %d", ErrNeuronNotFound, id, uid)
	}
	return n, nil
}

// NeuronByHotkey returns the UID that hotkey holds on subnet id, or
// ErrNeuronNotFound.
func (s *State) NeuronByHotkey(id uint16, hk Address) (*Neuron, error) {
	v, ok := s.Get(hotkeyKey(prefixHotkeyUID, id, hk))
	if !ok || len(v) != 2 {
		return nil, fmt.Errorf("%w: hotkey %s is not registered on subnet %d", ErrNeuronNotFound, hk, id)
	}
	return s.Neuron(id, binary.BigEndian.Uint16(v))
}

// Neurons returns every UID of subnet id in UID order.
func (s *State) Neurons(id uint16) []*Neuron {
	var out []*Neuron
	s.Iterate(idKey(prefixNeuron, id), func(_ string, v []byte) bool {
		if n, ok := decodeNeuron(v); ok {
			out = append(out, n)
		}
		return true
	})
	return out
}

func (s *State) putNeuron(id uint16, n *Neuron) error {
	s.Set(uidKey(prefixNeuron, id, n.UID), encodeNeuron(n))
	return nil
}

// hotkeySubnet returns the subnet and the signer's UID on it, for messages
// signed by a hotkey.
func hotkeySubnet(tc *TxContext, id uint16) (*Subnet, *Neuron, error) {
	sn, err := tc.State.Subnet(id)
	if err != nil {
		return nil, nil, err
	}
	n, err := tc.State.NeuronByHotkey(id, tc.Signer)
	if err != nil {
		return nil, nil, err
	}
	return sn, n, nil
}

// RegisterSignBytes is what the hotkey signs in register: RegisterDomain, a
// zero byte, the chain ID (u32 length + bytes), the subnet (u16) and the
// owner address (20 bytes). It binds the hotkey to this owner on this chain.
func RegisterSignBytes(chainID string, subnet uint16, owner Address) []byte {
	return NewEncoder(64).Fixed([]byte(RegisterDomain)).Uint8(0).String(chainID).Uint16(subnet).Fixed(owner[:]).Bytes()
}

// MsgRegister registers a hotkey on a subnet; the owner signs and pays the
// burn. Body: subnet (u16) | hotkey (32-byte ed25519 public key) |
// hotkey_sig (64 bytes over RegisterSignBytes).
type MsgRegister struct {
	Subnet    uint16 `json:"subnet"`
	Hotkey    []byte `json:"hotkey"`
	HotkeySig []byte `json:"hotkey_sig"`
}

// NewMsgRegister builds a register message whose hotkey signature binds
// hotkey to owner on chainID.
func NewMsgRegister(chainID string, subnet uint16, owner Address, hotkey ed25519.PrivateKey) *MsgRegister {
	return &MsgRegister{Subnet: subnet, Hotkey: hotkey.Public().(ed25519.PublicKey),
		HotkeySig: ed25519.Sign(hotkey, RegisterSignBytes(chainID, subnet, owner))}
}

// MsgServe publishes a UID's endpoint, model commitment and hardware;
// signed by the hotkey. Body: subnet (u16) | endpoint (string) |
// model_commitment (32) | hardware (string).
type MsgServe struct {
	Subnet          uint16 `json:"subnet"`
	Endpoint        string `json:"endpoint"`
	ModelCommitment Hash32 `json:"model_commitment"`
	Hardware        string `json:"hardware"`
}

func init() {
	RegisterMsg(TxRegister, "register", decodeRegister)
	RegisterMsg(TxServe, "serve", decodeServe)
}

func decodeRegister(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgRegister
	m.Subnet = d.Uint16("subnet")
	m.Hotkey = d.Fixed(ed25519.PublicKeySize, "hotkey")
	m.HotkeySig = d.Fixed(ed25519.SignatureSize, "hotkey_sig")
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgRegister) Type() TxType { return TxRegister }

// MarshalBody implements Msg.
func (m *MsgRegister) MarshalBody() []byte {
	return NewEncoder(2 + 32 + 64).Uint16(m.Subnet).Fixed(m.Hotkey).Fixed(m.HotkeySig).Bytes()
}

// ValidateBasic checks the key and signature lengths.
func (m *MsgRegister) ValidateBasic() error {
	if len(m.Hotkey) != ed25519.PublicKeySize || len(m.HotkeySig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: hotkey or signature length", ErrInvalidMsg)
	}
	return nil
}

// Execute checks the hotkey's signature, burns the registration burn and
// gives the hotkey the next free UID, or, when the subnet is full, the UID
// with the lowest pruning score outside its immunity period.
func (m *MsgRegister) Execute(tc *TxContext) error {
	s := tc.State
	sn, err := s.Subnet(m.Subnet)
	if err != nil {
		return err
	}
	if !ed25519.Verify(m.Hotkey, RegisterSignBytes(s.ChainID(), m.Subnet, tc.Signer), m.HotkeySig) {
		return fmt.Errorf("%w: hotkey signature does not bind it to owner %s", ErrBadSignature, tc.Signer)
	}
	hk := AddressFromPubKey(m.Hotkey)
	if v, ok := s.Get(prefixHotkeyOwner + string(hk[:])); ok && string(v) != string(tc.Signer[:]) {
		return fmt.Errorf("%w: hotkey %s belongs to another owner", ErrUnauthorized, hk)
	}
	if _, err := s.NeuronByHotkey(sn.ID, hk); err == nil {
		return fmt.Errorf("%w: hotkey %s on subnet %d", ErrHotkeyRegistered, hk, sn.ID)
	}
	if err := s.burnTracked(tc.Signer, sn.Hyper.RegistrationBurn); err != nil {
		return err
	}
	h := uint64(tc.Block.Height)
	var uid uint16
	if sn.N < sn.Hyper.MaxUIDs {
		uid = sn.N
		sn.N++
		if err := s.putSubnet(sn); err != nil {
			return err
		}
	} else {
		old, err := s.pruneCandidate(sn, h)
		if err != nil {
			return err
		}
		if err := s.deregister(sn, old); err != nil {
			return err
		}
		tc.Emit("deregister", "subnet", strconv.Itoa(int(sn.ID)), "uid", strconv.Itoa(int(old.UID)),
			"hotkey", old.Hotkey.String())
		uid = old.UID
	}
	n := &Neuron{UID: uid, Hotkey: hk, HotkeyPub: append([]byte(nil), m.Hotkey...), Owner: tc.Signer,
		RegisteredAt: h, LastUpdate: h}
	if err := s.putNeuron(sn.ID, n); err != nil {
		return err
	}
	s.setPruningScore(sn.ID, n, 0, 0, false)
	s.Set(hotkeyKey(prefixHotkeyUID, sn.ID, hk), binary.BigEndian.AppendUint16(nil, uid))
	s.Set(prefixHotkeyOwner+string(hk[:]), tc.Signer[:])
	tc.Emit("register", "subnet", strconv.Itoa(int(sn.ID)), "uid", strconv.Itoa(int(uid)),
		"hotkey", hk.String(), "owner", tc.Signer.String(), "burn", strconv.FormatUint(sn.Hyper.RegistrationBurn, 10))
	return nil
}

// PruningScore is a UID's pruning score: an exponential moving average of
// its emission over the epochs paid since its registration (0 before its
// first epoch), updated at every payout by pruningEMA. It is stored per UID
// (prn/) and mirrored in a sorted index (prx/), so picking the UID to replace
// reads no epoch record and decodes no neuron but the chosen one.
func (s *State) PruningScore(id uint16, n *Neuron) uint64 {
	return s.getU64(uidKey(prefixPruneScore, id, n.UID))
}

// pruningEMA is the next pruning score: the mean of the old score and this
// epoch's emission (rounded down). One missed epoch halves a score instead
// of zeroing it, so a validator that missed one epoch is not the first UID
// pruned.
func pruningEMA(old, emission uint64) uint64 {
	return old/2 + emission/2 + (old & emission & 1)
}

// pruneIndexKey orders the UIDs of subnet id for pruning: by score, then
// registration block (oldest first), then UID.
func pruneIndexKey(id uint16, score, registeredAt uint64, uid uint16) string {
	b := make([]byte, 0, 2+8+8+2)
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint64(b, score)
	b = binary.BigEndian.AppendUint64(b, registeredAt)
	b = binary.BigEndian.AppendUint16(b, uid)
	return prefixPruneIndex + string(b)
}

// setPruningScore stores n's score and moves its index entry from the
// entry of old (when had).
func (s *State) setPruningScore(id uint16, n *Neuron, old, score uint64, had bool) {
	if had {
		if old == score {
			return
		}
		s.Delete(pruneIndexKey(id, old, n.RegisteredAt, n.UID))
	}
	s.setU64(uidKey(prefixPruneScore, id, n.UID), score)
	s.Set(pruneIndexKey(id, score, n.RegisteredAt, n.UID), binary.BigEndian.AppendUint16(nil, n.UID))
}

// dropPruningScore removes n's score and index entry.
func (s *State) dropPruningScore(id uint16, n *Neuron) {
	s.Delete(pruneIndexKey(id, s.PruningScore(id, n), n.RegisteredAt, n.UID))
	s.Delete(uidKey(prefixPruneScore, id, n.UID))
}

// Immune reports whether n is inside its immunity period at block h.
func (sn *Subnet) Immune(n *Neuron, h uint64) bool {
	return h < n.RegisteredAt+sn.Hyper.ImmunityPeriod
}

// pruneCandidate picks the UID to replace in a full subnet: the lowest
// pruning score among UIDs outside immunity, ties to the oldest
// registration, then the lowest UID. ErrSubnetFull when every UID is immune.
// It walks the pruning index in that order and stops at the first UID
// outside immunity: O(log N) plus one step per immune UID ranked before it
// (immune UIDs are the ones registered in the last immunity_period blocks).
func (s *State) pruneCandidate(sn *Subnet, h uint64) (*Neuron, error) {
	prefix := idKey(prefixPruneIndex, sn.ID)
	found, uid := false, uint16(0)
	s.Iterate(prefix, func(k string, _ []byte) bool {
		if len(k) != len(prefix)+18 {
			return true
		}
		regAt := binary.BigEndian.Uint64([]byte(k[len(prefix)+8 : len(prefix)+16]))
		if h < regAt+sn.Hyper.ImmunityPeriod {
			return true
		}
		found, uid = true, binary.BigEndian.Uint16([]byte(k[len(prefix)+16:]))
		return false
	})
	if !found {
		return nil, fmt.Errorf("%w: subnet %d has %d UIDs, all inside their immunity period", ErrSubnetFull, sn.ID, sn.N)
	}
	return s.Neuron(sn.ID, uid)
}

// deregister removes n from its UID: its delegations go back to their
// owners' balances, and its weights, commit, proof and bonds row are
// dropped.
func (s *State) deregister(sn *Subnet, n *Neuron) error {
	for _, d := range s.Delegations(sn.ID, n.Hotkey) {
		if err := s.removeStake(sn.ID, sn.Epoch, n, d.Owner, d.Amount); err != nil {
			return err
		}
		if err := s.credit(d.Owner, d.Amount); err != nil {
			return err
		}
	}
	s.Delete(hotkeyKey(prefixHotkeyUID, sn.ID, n.Hotkey))
	s.Delete(uidKey(prefixWeights, sn.ID, n.UID))
	s.dropCommits(sn.ID, n.UID)
	s.Delete(uidKey(prefixProof, sn.ID, n.UID))
	s.Delete(uidKey(prefixBonds, sn.ID, n.UID))
	s.dropPruningScore(sn.ID, n)
	s.Delete(uidKey(prefixNeuronStakeMark, sn.ID, n.UID))
	return nil
}

func decodeServe(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgServe
	m.Subnet = d.Uint16("subnet")
	m.Endpoint = d.String(MaxEndpointLen, "endpoint")
	copy(m.ModelCommitment[:], d.Fixed(32, "model_commitment"))
	m.Hardware = d.String(MaxHardwareLen, "hardware")
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgServe) Type() TxType { return TxServe }

// MarshalBody implements Msg.
func (m *MsgServe) MarshalBody() []byte {
	return NewEncoder(48 + len(m.Endpoint) + len(m.Hardware)).Uint16(m.Subnet).String(m.Endpoint).
		Fixed(m.ModelCommitment[:]).String(m.Hardware).Bytes()
}

// ValidateBasic checks that the strings are printable ASCII and that the
// endpoint is empty (not serving) or a well-formed http(s)://host:port URL
// (ValidEndpoint). The commitment's form depends on the subnet's proof
// scheme, so Execute checks it (validServeCommitment).
func (m *MsgServe) ValidateBasic() error {
	if !printable(m.Endpoint) || !printable(m.Hardware) {
		return fmt.Errorf("%w: endpoint and hardware must be printable ASCII", ErrInvalidMsg)
	}
	if m.Endpoint != "" {
		if err := ValidEndpoint(m.Endpoint); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidMsg, err)
		}
	}
	return nil
}

// validServeCommitment checks that c can be a model commitment on sn: zero
// (no model served) or, under the subnet's proof scheme, a canonical BN254
// scalar field element (zk.SchemeHash, proof-less subnets included) or a
// canonical compressed BN254 G1 point (zk.SchemeCommit, the model point);
// zk.Scheme.ValidateCommitment. The two forms are disjoint: a field element
// is below 2^254, so its top two bits (a compressed point's flags, never
// both zero) are zero.
func validServeCommitment(sn *Subnet, c Hash32) error {
	if c.IsZero() {
		return nil
	}
	scheme, err := sn.Task.Scheme()
	if err != nil {
		return fmt.Errorf("%w: subnet %d: %v", ErrInternal, sn.ID, err)
	}
	if err := scheme.ValidateCommitment(c); err != nil {
		return fmt.Errorf("%w: model commitment for subnet %d (proof scheme %s): %v", ErrInvalidMsg, sn.ID, scheme, err)
	}
	return nil
}

// ValidEndpoint checks the form of a miner endpoint: scheme http or https,
// a host, a port 1..65535, no user info, path (but "/"), query or fragment.
// It resolves nothing: which addresses a validator dials is its own policy.
func ValidEndpoint(endpoint string) error {
	bad := func(why string) error {
		return fmt.Errorf("endpoint %.80q: %s; want http(s)://host:port", endpoint, why)
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return bad("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("scheme must be http or https")
	case u.User != nil:
		return bad("user info is not allowed")
	case u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return bad("no path, query or fragment allowed")
	case u.Hostname() == "":
		return bad("no host")
	}
	port := u.Port()
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
		return bad("needs a port 1-65535")
	}
	return nil
}

// Execute checks the model commitment against the subnet's proof scheme
// (validServeCommitment: ErrInvalidMsg) and updates the signer's UID. A
// changed model commitment voids the proof accepted this epoch (the miner
// must prove the new model).
func (m *MsgServe) Execute(tc *TxContext) error {
	sn, n, err := hotkeySubnet(tc, m.Subnet)
	if err != nil {
		return err
	}
	if err := validServeCommitment(sn, m.ModelCommitment); err != nil {
		return err
	}
	if n.ModelCommitment != m.ModelCommitment {
		tc.State.Delete(uidKey(prefixProof, sn.ID, n.UID))
	}
	n.Endpoint, n.ModelCommitment, n.Hardware = m.Endpoint, m.ModelCommitment, m.Hardware
	if err := tc.State.putNeuron(sn.ID, n); err != nil {
		return err
	}
	tc.Emit("serve", "subnet", strconv.Itoa(int(sn.ID)), "uid", strconv.Itoa(int(n.UID)),
		"endpoint", m.Endpoint, "model_commitment", m.ModelCommitment.String())
	return nil
}
