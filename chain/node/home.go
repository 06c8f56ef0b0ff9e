package node

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/veritensor/veritensor/chain"
)

// Identity is what other homes need to know about a home: its p2p ID and its
// validator public key.
type Identity struct {
	NodeID    string
	Validator types.GenesisValidator
}

// GenerateKeys creates the node key and validator key under home (keeping
// existing ones) and returns the node's identity with the given voting power.
func GenerateKeys(home, moniker string, power int64) (Identity, error) {
	cc := cfg.DefaultConfig()
	cc.SetRoot(home)
	for _, d := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return Identity{}, err
		}
	}
	nk, err := p2p.LoadOrGenNodeKey(cc.NodeKeyFile())
	if err != nil {
		return Identity{}, fmt.Errorf("node key: %w", err)
	}
	pv := privval.LoadOrGenFilePV(cc.PrivValidatorKeyFile(), cc.PrivValidatorStateFile())
	pub, err := pv.GetPubKey()
	if err != nil {
		return Identity{}, err
	}
	return Identity{NodeID: string(nk.ID()), Validator: types.GenesisValidator{
		Address: pub.Address(), PubKey: pub, Power: power, Name: moniker,
	}}, nil
}

// NewGenesisDoc builds a CometBFT genesis with app as its app_state. The
// genesis time is set by the caller (init time); the chain never reads a clock.
func NewGenesisDoc(chainID string, genesisTime time.Time, vals []types.GenesisValidator, app *chain.Genesis) (*types.GenesisDoc, error) {
	if err := app.Validate(); err != nil {
		return nil, err
	}
	appState, err := json.Marshal(app)
	if err != nil {
		return nil, err
	}
	doc := &types.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     genesisTime,
		ConsensusParams: types.DefaultConsensusParams(),
		Validators:      vals,
		AppState:        appState,
		InitialHeight:   1,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	return doc, nil
}

// GenesisFile is the path of genesis.json under home.
func GenesisFile(home string) string { return filepath.Join(home, "config", "genesis.json") }

// WriteGenesis writes doc to home/config/genesis.json.
func WriteGenesis(home string, doc *types.GenesisDoc) error { return doc.SaveAs(GenesisFile(home)) }

// ReadGenesis reads home/config/genesis.json and its app_state.
func ReadGenesis(home string) (*types.GenesisDoc, *chain.Genesis, error) {
	doc, err := types.GenesisDocFromFile(GenesisFile(home))
	if err != nil {
		return nil, nil, err
	}
	g, err := chain.ParseGenesis(doc.AppState)
	if err != nil {
		return nil, nil, err
	}
	return doc, g, nil
}

// InitHome creates a single-validator home: keys, node.json (c) and a genesis
// for chainID with app as app_state. It refuses to overwrite an existing
// genesis.
func InitHome(home, chainID string, c Config, app *chain.Genesis) (Identity, error) {
	if _, err := os.Stat(GenesisFile(home)); err == nil {
		return Identity{}, fmt.Errorf("%s already exists", GenesisFile(home))
	}
	id, err := GenerateKeys(home, c.Moniker, 10)
	if err != nil {
		return Identity{}, err
	}
	doc, err := NewGenesisDoc(chainID, time.Now().UTC(), []types.GenesisValidator{id.Validator}, app)
	if err != nil {
		return Identity{}, err
	}
	if err := WriteGenesis(home, doc); err != nil {
		return Identity{}, err
	}
	return id, WriteConfig(home, c)
}

// JoinHome creates a full-node home for an existing network: new node and
// validator keys, the network's genesis copied from genesisFile, and c.
func JoinHome(home, genesisFile string, c Config) (Identity, error) {
	if _, err := os.Stat(GenesisFile(home)); err == nil {
		return Identity{}, fmt.Errorf("%s already exists", GenesisFile(home))
	}
	doc, err := types.GenesisDocFromFile(genesisFile)
	if err != nil {
		return Identity{}, fmt.Errorf("genesis %s: %w", genesisFile, err)
	}
	id, err := GenerateKeys(home, c.Moniker, 10)
	if err != nil {
		return Identity{}, err
	}
	if err := WriteGenesis(home, doc); err != nil {
		return Identity{}, err
	}
	return id, WriteConfig(home, c)
}
