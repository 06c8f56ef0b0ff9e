package devnet

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
	"github.com/veritensor/veritensor/internal/atomicfile"
	"github.com/veritensor/veritensor/zk"
)

const (
	// ChainID of every devnet.
	ChainID = "veritensor-devnet"
	// SubnetName is the devnet subnet's name.
	SubnetName = "devnet-mnist"
	// ScoringValidators is the number of validator daemons (and permits).
	ScoringValidators = 2
	stateFile         = "devnet.json"
	fee               = 100
	accountBalance    = 1_000_000_000_000_000 // base units per funded key
	registrationBurn  = 1_000_000
)

// validatorStake is what validator j's owner stakes on its hotkey: unequal,
// so the stake-weighted consensus is not a tie.
func validatorStake(j int) uint64 { return uint64(2-j%2) * 100_000_000_000 }

// member is one registered UID of the devnet subnet.
type member struct {
	Behavior   Behavior `json:"behavior,omitempty"`
	UID        uint16   `json:"uid"`
	Registered bool     `json:"registered"`
	Staked     bool     `json:"staked,omitempty"`
}

// state is <home>/devnet.json: what a resumed run must not redo.
type state struct {
	ChainID       string   `json:"chain_id"`
	Arch          string   `json:"arch"`
	Nodes         int      `json:"nodes"`
	Tempo         uint64   `json:"tempo"`
	GenesisSupply uint64   `json:"genesis_supply"`
	SubnetCreated bool     `json:"subnet_created"`
	Subnet        uint16   `json:"subnet"`
	Validators    []member `json:"validators"`
	Miners        []member `json:"miners"`
	// Batch is the batch size validators send and miners prove
	// (Options.Batch; 0: single proofs); the batch keys are in
	// <home>/batch-keys.
	Batch int `json:"batch,omitempty"`
	// Scheme is the proven subnet's proof scheme (Options.Scheme; absent
	// in older homes: the hash scheme).
	Scheme zk.Scheme `json:"scheme,omitempty"`
	// Proofless is the proof-less subnet's setup (Options.ProoflessSubnet).
	Proofless *sideState `json:"proofless,omitempty"`
}

func loadState(home string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(home, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("devnet: %s: %w", filepath.Join(home, stateFile), err)
	}
	return &s, nil
}

func (s *state) save(home string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(home, stateFile), b); err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	return nil
}

// batchKeysDir is the key cache (internal/keycache) holding the devnet's
// batch keys, from its own ceremony: the daemons' KeysDir with batches.
func batchKeysDir(home string) string { return filepath.Join(home, "batch-keys") }

// Keys of the devnet's actors, derived from the chain ID (test keys only).
func key(i int) ed25519.PrivateKey               { return testnet.DeterministicKey(ChainID, i) }
func subnetOwnerKey() ed25519.PrivateKey         { return key(98) }
func validatorOwnerKey(j int) ed25519.PrivateKey { return key(2 * j) }
func validatorHotkey(j int) ed25519.PrivateKey   { return key(2*j + 1) }
func minerOwnerKey(i int) ed25519.PrivateKey     { return key(100 + 2*i) }
func minerHotkey(i int) ed25519.PrivateKey       { return key(101 + 2*i) }

func addr(k ed25519.PrivateKey) chain.Address {
	return chain.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// newDevnet writes the node homes and the genesis (every actor's keys
// funded) of a devnet that does not exist yet.
func newDevnet(o *Options) (*state, error) {
	var accts []chain.GenesisAccount
	fund := func(k ed25519.PrivateKey) {
		accts = append(accts, chain.GenesisAccount{Address: addr(k), Balance: accountBalance})
	}
	fund(subnetOwnerKey())
	for j := range ScoringValidators {
		fund(validatorOwnerKey(j))
		fund(validatorHotkey(j))
	}
	for i := range o.Behaviors {
		fund(minerOwnerKey(i))
		fund(minerHotkey(i))
	}
	net, err := testnet.Generate(filepath.Join(o.Home, "chain"), testnet.Options{Validators: o.Nodes, ChainID: ChainID,
		Accounts: accts, Params: devnetParams(), Config: node.Config{TimeoutCommit: node.Duration(o.BlockTime), CreateEmptyBlocks: true, LogLevel: "none"}})
	if err != nil {
		return nil, fmt.Errorf("devnet: generate the network: %w", err)
	}
	s := &state{ChainID: ChainID, Arch: o.Arch, Nodes: o.Nodes, Tempo: o.Tempo, Batch: o.Batch, Scheme: o.Scheme}
	for _, a := range net.Genesis.Accounts {
		s.GenesisSupply += a.Balance
	}
	s.Validators = make([]member, ScoringValidators)
	for _, b := range o.Behaviors {
		s.Miners = append(s.Miners, member{Behavior: b})
	}
	return s, s.save(o.Home)
}

// ensureSubnet creates the subnet (proofs required, commit-reveal on) unless
// the state or the chain already has it, then registers and stakes whatever
// is missing. Each step is saved, so an interrupted setup resumes.
func ensureSubnet(ctx context.Context, c *client.Client, s *state, home string, say func(string, ...any)) error {
	owner := subnetOwnerKey()
	if !s.SubnetCreated {
		id, found, err := findSubnet(ctx, c, addr(owner))
		if err != nil {
			return err
		}
		if !found {
			h := chain.DefaultHyperparams()
			h.Tempo, h.ImmunityPeriod, h.MaxValidators = s.Tempo, 100_000, ScoringValidators
			h.MaxUIDs = uint16(ScoringValidators + len(s.Miners) + 2)
			h.ActivityCutoff, h.RegistrationBurn = 100_000, registrationBurn
			h.CommitReveal, h.RequireProof = true, true
			cer, err := ensureCeremony(ctx, c, s, home, say)
			if err != nil {
				return err
			}
			spec, err := createTaskSubnet(ctx, c, SubnetName, s.Arch, true, s.Scheme, cer, h)
			if err != nil {
				return fmt.Errorf("devnet: create the subnet: %w", err)
			}
			if id, found, err = findSubnet(ctx, c, addr(owner)); err != nil || !found {
				return fmt.Errorf("devnet: the created subnet is not listed: %v", err)
			}
			say("subnet %d created: %s, task %s (hash %s...) on chain, tempo %d blocks, proofs required, commit-reveal on",
				id, s.Arch, spec.Name, taskHash(spec), s.Tempo)
		}
		s.Subnet, s.SubnetCreated = id, true
		if err := s.save(home); err != nil {
			return err
		}
	}
	register := func(m *member, ownerKey, hot ed25519.PrivateKey, what string) error {
		if m.Registered {
			return nil
		}
		n, err := c.NeuronByHotkey(ctx, s.Subnet, addr(hot))
		if errors.Is(err, chain.ErrNeuronNotFound) {
			if _, err = c.Register(ctx, ownerKey, hot, s.Subnet, fee); err != nil {
				return fmt.Errorf("devnet: register %s: %w", what, err)
			}
			n, err = c.NeuronByHotkey(ctx, s.Subnet, addr(hot))
		}
		if err != nil {
			return fmt.Errorf("devnet: %s: %w", what, err)
		}
		m.UID, m.Registered = n.UID, true
		say("registered %s as uid %d", what, n.UID)
		return s.save(home)
	}
	for j := range s.Validators {
		v := &s.Validators[j]
		if err := register(v, validatorOwnerKey(j), validatorHotkey(j), fmt.Sprintf("validator %d", j)); err != nil {
			return err
		}
		if v.Staked {
			continue
		}
		st, err := c.Stake(ctx, s.Subnet, addr(validatorHotkey(j)))
		if err != nil {
			return fmt.Errorf("devnet: validator %d stake: %w", j, err)
		}
		if st.Total == 0 {
			if _, err := c.AddStake(ctx, validatorOwnerKey(j), s.Subnet, addr(validatorHotkey(j)), validatorStake(j), fee); err != nil {
				return fmt.Errorf("devnet: stake validator %d: %w", j, err)
			}
			say("validator uid %d staked %d", v.UID, validatorStake(j))
		}
		v.Staked = true
		if err := s.save(home); err != nil {
			return err
		}
	}
	for i := range s.Miners {
		m := &s.Miners[i]
		if err := register(m, minerOwnerKey(i), minerHotkey(i), fmt.Sprintf("miner %d (%s)", i, m.Behavior)); err != nil {
			return err
		}
	}
	return nil
}

// findSubnet finds the devnet subnet owned by owner.
func findSubnet(ctx context.Context, c *client.Client, owner chain.Address) (uint16, bool, error) {
	sns, err := c.Subnets(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("devnet: list subnets: %w", err)
	}
	i := slices.IndexFunc(sns.Subnets, func(s chain.SubnetInfo) bool { return s.Owner == owner && s.Name == SubnetName })
	if i < 0 {
		return 0, false, nil
	}
	return sns.Subnets[i].ID, true, nil
}

// keyring writes hotkey as "hotkey" in <dir>/keys (keeping an existing one).
func keyring(dir string, hotkey ed25519.PrivateKey) error {
	r := keys.Open(dir)
	if _, err := r.Get("hotkey"); err == nil {
		return nil
	}
	if _, err := r.Import("hotkey", hotkey); err != nil {
		return fmt.Errorf("devnet: keyring %s: %w", dir, err)
	}
	return nil
}
