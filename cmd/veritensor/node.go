package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
)

func init() {
	commands = append(commands,
		&cli.Command{
			Name:  "init",
			Usage: "create a single-validator node home with a genesis and a funded 'validator' account key",
			Flags: []cli.Flag{
				homeFlag,
				&cli.StringFlag{Name: "chain-id", Usage: "chain ID of the new chain (required unless --genesis)"},
				&cli.StringFlag{Name: "moniker", Value: "veritensor", Usage: "node name in the p2p network"},
				&cli.StringFlag{Name: "p2p", Value: "tcp://127.0.0.1:26656", Usage: "p2p listen address"},
				&cli.StringFlag{Name: "rpc", Value: "tcp://127.0.0.1:26657", Usage: "RPC listen address"},
				&cli.Uint64Flag{Name: "balance", Value: 1_000_000_000_000_000, Usage: "genesis balance of the 'validator' account key, base units"},
				&cli.StringSliceFlag{Name: "fund", Usage: "extra genesis account ADDRESS=AMOUNT (repeatable)"},
				&cli.Uint64Flag{Name: "min-fee", Value: chain.DefaultParams().MinFee, Usage: "minimum fee per transaction, base units"},
				&cli.Uint64Flag{Name: "max-tx-bytes", Value: chain.DefaultParams().MaxTxBytes, Usage: "largest transaction accepted, bytes"},
				&cli.StringFlag{Name: "validator-authority", Usage: "account that may add/remove validators (docs/chain.md): an ADDRESS, or 'self' for the 'validator' key; empty: fixed set"},
				&cli.StringFlag{Name: "genesis", Usage: "join an existing network: copy this genesis.json instead of creating a chain"},
				&cli.StringFlag{Name: "seeds", Usage: "config.toml p2p.seeds: comma-separated id@host:port"},
				&cli.StringFlag{Name: "persistent-peers", Usage: "config.toml p2p.persistent_peers: comma-separated id@host:port"},
				&cli.StringFlag{Name: "external-address", Usage: "config.toml p2p.external_address: host:port peers should dial"},
				&cli.StringFlag{Name: "prometheus", Usage: "serve Prometheus metrics on this address (e.g. :26660); empty: off"},
				&cli.Int64Flag{Name: "snapshot-interval", Value: node.DefaultConfig().SnapshotInterval, Usage: "state-sync snapshot every N blocks (0: none)"},
				&cli.Uint64Flag{Name: "ceremony-beacon-delay", Value: chain.DefaultParams().CeremonyBeaconDelay, Usage: "blocks from ceremony-open to its beacon block"},
				&cli.Uint64Flag{Name: "ceremony-min-contributors", Value: chain.DefaultParams().CeremonyMinContributors, Usage: "fewest distinct contributors a setup ceremony needs to be sealed or used"},
				outputFlag,
			},
			Action: nodeInit,
		},
		&cli.Command{
			Name:  "start",
			Usage: "run the node of --home (CometBFT and the app in one process) until interrupted",
			Flags: []cli.Flag{
				homeFlag,
				&cli.StringFlag{Name: "log-level", Usage: "override node.json log_level: none, error, info or debug"},
			},
			Action: nodeStart,
		},
		&cli.Command{
			Name:  "testnet",
			Usage: "write N validator homes with one genesis and loopback peers on distinct ports",
			Flags: []cli.Flag{
				&cli.IntFlag{Name: "validators", Value: 4, Usage: "number of validators"},
				&cli.StringFlag{Name: "output", Value: "./testnet", Usage: "directory for node0 ... nodeN-1"},
				&cli.StringFlag{Name: "chain-id", Value: "veritensor-testnet", Usage: "chain ID"},
				&cli.IntFlag{Name: "base-port", Value: 26656, Usage: "node i listens on p2p base+10i and RPC base+10i+1"},
				&cli.DurationFlag{Name: "timeout-commit", Value: time.Second, Usage: "pause after each block"},
				&cli.Int64Flag{Name: "snapshot-interval", Value: node.DefaultConfig().SnapshotInterval, Usage: "state-sync snapshot every N blocks (0: none)"},
				&cli.BoolFlag{Name: "validator-authority", Usage: "node0's 'validator' key may add and remove validators"},
				&cli.Uint64Flag{Name: "ceremony-beacon-delay", Value: chain.DefaultParams().CeremonyBeaconDelay, Usage: "blocks from ceremony-open to its beacon block"},
				&cli.Uint64Flag{Name: "ceremony-min-contributors", Value: chain.DefaultParams().CeremonyMinContributors, Usage: "fewest distinct contributors a setup ceremony needs to be sealed or used"},
			},
			Action: nodeTestnet,
		},
	)
}

type initResult struct {
	Home      string        `json:"home"`
	ChainID   string        `json:"chain_id"`
	NodeID    string        `json:"node_id"`
	Validator string        `json:"validator_address"`
	Account   chain.Address `json:"account"`
	RPC       string        `json:"rpc"`
}

func nodeInit(c *cli.Context) error {
	home := c.String("home")
	if c.String("chain-id") == "" && c.String("genesis") == "" {
		return fmt.Errorf("--chain-id is required (or --genesis to join an existing network)")
	}
	g := chain.DefaultGenesis()
	g.Params.MinFee, g.Params.MaxTxBytes = c.Uint64("min-fee"), c.Uint64("max-tx-bytes")
	g.Params.CeremonyBeaconDelay, g.Params.CeremonyMinContributors = c.Uint64("ceremony-beacon-delay"), c.Uint64("ceremony-min-contributors")
	for _, f := range c.StringSlice("fund") {
		addr, amt, ok := strings.Cut(f, "=")
		a, err := chain.ParseAddress(addr)
		if !ok || err != nil {
			return fmt.Errorf("--fund %q: want ADDRESS=AMOUNT", f)
		}
		n, err := strconv.ParseUint(amt, 10, 64)
		if err != nil {
			return fmt.Errorf("--fund %q: %w", f, err)
		}
		g.Accounts = append(g.Accounts, chain.GenesisAccount{Address: a, Balance: n})
	}
	kr := keys.Open(home)
	k, err := kr.Get("validator")
	if err != nil {
		if k, err = kr.Add("validator"); err != nil {
			return err
		}
	}
	g.Accounts = append(g.Accounts, chain.GenesisAccount{Address: k.Address(), Balance: c.Uint64("balance")})
	switch auth := c.String("validator-authority"); auth {
	case "":
	case "self":
		a := k.Address()
		g.ValidatorAuthority = &a
	default:
		a, err := chain.ParseAddress(auth)
		if err != nil {
			return fmt.Errorf("--validator-authority: %w", err)
		}
		g.ValidatorAuthority = &a
	}
	cfg := node.DefaultConfig()
	cfg.Moniker, cfg.P2PListen, cfg.RPCListen = c.String("moniker"), c.String("p2p"), c.String("rpc")
	cfg.SnapshotInterval = c.Int64("snapshot-interval")
	cfg.PersistentPeers = c.String("persistent-peers")
	if p := c.String("prometheus"); p != "" {
		cfg.Prometheus, cfg.PrometheusListen = true, p
	}
	var id node.Identity
	if gf := c.String("genesis"); gf != "" {
		id, err = node.JoinHome(home, gf, cfg)
	} else {
		id, err = node.InitHome(home, c.String("chain-id"), cfg, g)
	}
	if err != nil {
		return err
	}
	if err := node.WriteCometConfig(home, cfg, func(cc *cmtcfg.Config) {
		cc.P2P.Seeds = c.String("seeds")
		cc.P2P.ExternalAddress = c.String("external-address")
	}); err != nil {
		return err
	}
	chainID := c.String("chain-id")
	if doc, _, err := node.ReadGenesis(home); err == nil {
		chainID = doc.ChainID
	}
	res := initResult{Home: home, ChainID: chainID, NodeID: id.NodeID,
		Validator: id.Validator.Address.String(), Account: k.Address(), RPC: cfg.RPCListen}
	return render(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "initialised %s\nchain id:  %s\nnode id:   %s\naccount:   %s (key 'validator')\nstart it:  veritensor start --home %s\n",
			home, res.ChainID, res.NodeID, res.Account, home)
		return err
	})
}

func nodeStart(c *cli.Context) error {
	home := c.String("home")
	if lvl := c.String("log-level"); lvl != "" {
		cfg, err := node.LoadConfig(home)
		if err != nil {
			return err
		}
		cfg.LogLevel = lvl
		if err := node.WriteConfig(home, cfg); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := node.New(home, node.Options{})
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		n.Stop()
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "node %s running, RPC %s (Ctrl-C to stop)\n", home, n.RPCAddress())
	<-ctx.Done()
	fmt.Fprintln(c.App.ErrWriter, "stopping")
	return n.Stop()
}

func nodeTestnet(c *cli.Context) error {
	cfg := node.DefaultConfig()
	cfg.TimeoutCommit = node.Duration(c.Duration("timeout-commit"))
	cfg.SnapshotInterval = c.Int64("snapshot-interval")
	params := chain.DefaultParams()
	params.CeremonyBeaconDelay, params.CeremonyMinContributors = c.Uint64("ceremony-beacon-delay"), c.Uint64("ceremony-min-contributors")
	net, err := testnet.Generate(c.String("output"), testnet.Options{
		Validators: c.Int("validators"), ChainID: c.String("chain-id"), BasePort: c.Int("base-port"), Config: cfg,
		ValidatorAuthority: c.Bool("validator-authority"), Params: &params})
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "wrote %d validator homes for chain %s\n", net.Len(), net.ChainID)
	for i, h := range net.Homes {
		fmt.Fprintf(w, "  %s  rpc %s  account %s (key 'validator')\n", h, net.RPCAddress(i), net.Keys[i].Address())
	}
	fmt.Fprintf(w, "start each: veritensor start --home %s\n", net.Homes[0])
	return nil
}
