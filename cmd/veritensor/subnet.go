package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

// Subnet protocol transactions: `veritensor subnet create|update` and the
// same plus register, serve, stake, unstake, set-weights, commit-weights,
// reveal-weights and submit-proof under `veritensor tx`.

var subnetFlag = &cli.UintFlag{Name: "subnet", Required: true, Usage: "subnet ID"}

// hyperFlags are the hyperparameter flags, defaulting to
// chain.DefaultHyperparams. For update (forUpdate) a flag not given keeps
// the subnet's current value, and emission-share, fixed at creation, is not
// offered.
func hyperFlags(forUpdate bool) []cli.Flag {
	d := chain.DefaultHyperparams()
	fs := []cli.Flag{
		&cli.Uint64Flag{Name: "tempo", Value: d.Tempo, Usage: "epoch length in blocks"},
		&cli.Uint64Flag{Name: "immunity-period", Value: d.ImmunityPeriod, Usage: "blocks after registration during which a UID cannot be replaced"},
		&cli.UintFlag{Name: "max-uids", Value: uint(d.MaxUIDs), Usage: "number of UIDs (1..4096)"},
		&cli.UintFlag{Name: "max-validators", Value: uint(d.MaxValidators), Usage: "UIDs with a validator permit (top by stake)"},
		&cli.Uint64Flag{Name: "min-validator-stake", Value: d.MinValidatorStake, Usage: "least stake (base units) for a validator permit"},
		&cli.UintFlag{Name: "min-allowed-weights", Value: uint(d.MinAllowedWeights), Usage: "fewest entries in a weight row"},
		&cli.UintFlag{Name: "kappa", Value: uint(d.Kappa), Usage: "consensus quantile, u16 fraction of 65535"},
		&cli.UintFlag{Name: "bonds-moving-average", Value: uint(d.BondsMovingAverage), Usage: "weight of old bonds in the EMA, parts per million"},
		&cli.Uint64Flag{Name: "weights-rate-limit", Value: d.WeightsRateLimit, Usage: "fewest blocks between two set-weights of one UID"},
		&cli.Uint64Flag{Name: "activity-cutoff", Value: d.ActivityCutoff, Usage: "blocks without a weights update after which a UID's stake stops counting"},
		&cli.BoolFlag{Name: "commit-reveal", Value: d.CommitReveal, Usage: "validators commit weights and reveal them reveal-delay epochs later"},
		&cli.BoolFlag{Name: "require-proof", Value: d.RequireProof, Usage: "miners without a valid on-chain proof this epoch earn nothing"},
		&cli.UintFlag{Name: "emission-share", Value: uint(d.EmissionShare), Usage: "subnet weight in the split of block emission (fixed at creation)"},
		&cli.Uint64Flag{Name: "registration-burn", Value: d.RegistrationBurn, Usage: "base units burned by register"},
		&cli.UintFlag{Name: "owner-cut-bps", Value: uint(d.OwnerCutBps), Usage: "owner's cut of each epoch's emission, basis points"},
		&cli.UintFlag{Name: "miner-share-bps", Value: uint(d.MinerShareBps), Usage: "miners' share of the rest, basis points"},
		&cli.UintFlag{Name: "reveal-delay", Value: uint(d.RevealDelay), Usage: "epochs between a weights commit and its reveal (1..16)"},
	}
	if !forUpdate {
		return fs
	}
	var out []cli.Flag
	for _, f := range fs {
		switch f := f.(type) {
		case *cli.UintFlag:
			if f.Name == "emission-share" {
				continue
			}
			f.DefaultText = "the subnet's current value"
		case *cli.Uint64Flag:
			f.DefaultText = "the subnet's current value"
		case *cli.BoolFlag:
			f.DefaultText = "the subnet's current value"
		}
		out = append(out, f)
	}
	return out
}

// hyperFromFlags overrides base with every hyperparameter flag set (or all
// of them when all is true).
func hyperFromFlags(c *cli.Context, base chain.Hyperparams, all bool) chain.Hyperparams {
	set := func(name string) bool { return all || c.IsSet(name) }
	h := base
	if set("tempo") {
		h.Tempo = c.Uint64("tempo")
	}
	if set("immunity-period") {
		h.ImmunityPeriod = c.Uint64("immunity-period")
	}
	if set("max-uids") {
		h.MaxUIDs = uint16(c.Uint("max-uids"))
	}
	if set("max-validators") {
		h.MaxValidators = uint16(c.Uint("max-validators"))
	}
	if set("min-validator-stake") {
		h.MinValidatorStake = c.Uint64("min-validator-stake")
	}
	if set("min-allowed-weights") {
		h.MinAllowedWeights = uint16(c.Uint("min-allowed-weights"))
	}
	if set("kappa") {
		h.Kappa = uint16(c.Uint("kappa"))
	}
	if set("bonds-moving-average") {
		h.BondsMovingAverage = uint32(c.Uint("bonds-moving-average"))
	}
	if set("weights-rate-limit") {
		h.WeightsRateLimit = c.Uint64("weights-rate-limit")
	}
	if set("activity-cutoff") {
		h.ActivityCutoff = c.Uint64("activity-cutoff")
	}
	if set("commit-reveal") {
		h.CommitReveal = c.Bool("commit-reveal")
	}
	if set("require-proof") {
		h.RequireProof = c.Bool("require-proof")
	}
	if set("emission-share") { // create only: update does not offer it
		h.EmissionShare = uint32(c.Uint("emission-share"))
	}
	if set("registration-burn") {
		h.RegistrationBurn = c.Uint64("registration-burn")
	}
	if set("owner-cut-bps") {
		h.OwnerCutBps = uint16(c.Uint("owner-cut-bps"))
	}
	if set("miner-share-bps") {
		h.MinerShareBps = uint16(c.Uint("miner-share-bps"))
	}
	if set("reveal-delay") {
		h.RevealDelay = uint16(c.Uint("reveal-delay"))
	}
	return h
}

func subnetCreateCommand(name string) *cli.Command {
	return &cli.Command{
		Name:  name,
		Usage: "create a subnet whose keys are a sealed setup ceremony's (--ceremony), burn the creation fee",
		Flags: txFlags(append([]cli.Flag{
			&cli.StringFlag{Name: "name", Required: true, Usage: "subnet name (printable ASCII, <= 64 bytes)"},
			&cli.StringFlag{Name: "arch", Value: "784-64-10", Usage: "model architecture of the task, e.g. 784-64-10"},
			&cli.StringFlag{Name: "scoring-rule", Value: chain.ScoringYuma, Usage: "yuma (subtensor's original bonds) or yuma3 (per-pair bonds)"},
			&cli.StringFlag{Name: "dataset-commitment", Usage: "32-byte hex commitment to the validators' dataset (default zero)"},
			&cli.UintFlag{Name: "ceremony", Required: true, Usage: "sealed phase-2 setup ceremony of the arch's circuit (see 'veritensor query ceremonies')"},
		}, hyperFlags(false)...)...),
		Action: subnetCreate,
	}
}

func subnetUpdateCommand(name string) *cli.Command {
	return &cli.Command{
		Name:   name,
		Usage:  "change a subnet's hyperparameters (owner only); flags not given keep their current value",
		Flags:  txFlags(append([]cli.Flag{subnetFlag}, hyperFlags(true)...)...),
		Action: subnetUpdate,
	}
}

func init() {
	commands = append(commands, &cli.Command{
		Name:        "subnet",
		Usage:       "create and update subnets",
		Subcommands: []*cli.Command{subnetCreateCommand("create"), subnetUpdateCommand("update")},
	})
	attach("tx", subnetCreateCommand("subnet-create"), subnetUpdateCommand("subnet-update"))
}

func subnetCreate(c *cli.Context) error {
	arch, err := zk.ParseArch(c.String("arch"))
	if err != nil {
		return err
	}
	var dataset chain.Hash32
	if s := c.String("dataset-commitment"); s != "" {
		if dataset, err = chain.ParseHash32(s); err != nil {
			return err
		}
	}
	return sendMsg(c, &chain.MsgSubnetCreate{Name: c.String("name"), Arch: arch.String(), Ceremony: uint32(c.Uint("ceremony")),
		DatasetCommitment: dataset, ScoringRule: c.String("scoring-rule"),
		Hyper: hyperFromFlags(c, chain.DefaultHyperparams(), true)})
}

func subnetUpdate(c *cli.Context) error {
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	id := uint16(c.Uint("subnet"))
	sn, err := cl.Subnet(ctx, id)
	if err != nil {
		return err
	}
	return sendMsg(c, &chain.MsgSubnetUpdate{Subnet: id, Hyper: hyperFromFlags(c, sn.Hyper, false)})
}

// parseWeights parses "uid:value,uid:value" (values u16, UIDs increasing).
func parseWeights(s string) ([]scoring.Weight, error) {
	var out []scoring.Weight
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, v, ok := strings.Cut(part, ":")
		uid, err1 := strconv.ParseUint(u, 10, 16)
		val, err2 := strconv.ParseUint(v, 10, 16)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("weight %q: want uid:value with uid and value in 0..65535", part)
		}
		out = append(out, scoring.Weight{UID: uint16(uid), Value: uint16(val)})
	}
	return out, nil
}

func printSubnetLine(w io.Writer, sn chain.SubnetInfo) {
	fmt.Fprintf(w, "%-4d %-16s %-12s uids %d/%d  epoch %d (next at %d)  tempo %d  pending %d  owner %s\n",
		sn.ID, sn.Name, sn.Task.Arch, sn.N, sn.Hyper.MaxUIDs, sn.Epoch, sn.NextEpochAt, sn.Hyper.Tempo, sn.PendingEmission, sn.Owner)
}
