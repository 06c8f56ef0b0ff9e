package main

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/ceremonyrun"
	"github.com/veritensor/veritensor/zk"
)

// `veritensor ceremony run`: a whole two-phase setup ceremony with every
// contributor's key in one local keyring (internal/ceremonyrun), for trials
// and test networks. A real ceremony has each contributor on their own
// machine (`ceremony contribute` + `tx ceremony-contribute`).

func init() {
	attach("ceremony", &cli.Command{
		Name:  "run",
		Usage: "run a whole setup ceremony (phase 1 and phase 2) against a chain with local contributors; prints the ceremony IDs",
		Description: "Opens a phase-1 and then a phase-2 ceremony for --arch (signed by --from), computes one contribution per\n" +
			"--contributors key (in order, each recorded by its own key, which pays its fee), waits for each beacon\n" +
			"(the chain's ceremony_beacon_delay blocks after the open), seals both, and prints their IDs.\n" +
			"Transcript files go into --dir (made absolute; it is the source recorded on chain, so every daemon must\n" +
			"be able to read it). All keys being on one machine, this is for trials and test networks: a real\n" +
			"ceremony has each contributor on their own machine (docs/create-a-subnet.md).",
		Flags: []cli.Flag{
			homeFlag, nodeFlag, outputFlag,
			&cli.StringFlag{Name: "from", Required: true, Usage: "the key that opens and seals both ceremonies (the subnet creator): a key name in <home>/keys or the address of one"},
			&cli.StringFlag{Name: "contributors", Required: true, Usage: "comma-separated key names (or addresses) in <home>/keys, in contribution order; at least the chain's ceremony_min_contributors distinct ones"},
			ceremonyArchFlag,
			schemeFlag,
			ceremonyDirFlag,
			&cli.Uint64Flag{Name: "fee", Value: chain.DefaultParams().MinFee, Usage: "fee of every transaction, base units"},
			&cli.DurationFlag{Name: "timeout", Value: time.Hour, Usage: "give up after this long"},
		},
		Action: ceremonyRun,
	})
}

// ceremonyRunOut is `ceremony run -o json`.
type ceremonyRunOut struct {
	Phase1       uint32          `json:"phase1"`
	Phase2       uint32          `json:"phase2"`
	Arch         string          `json:"arch"`
	Scheme       string          `json:"scheme"`
	Dir          string          `json:"dir"`
	Contributors []chain.Address `json:"contributors"`
	Phase1Reused bool            `json:"phase1_reused"`
	VKHash       chain.Hash32    `json:"vk_hash"`
	PKHash       chain.Hash32    `json:"pk_hash"`
	Seconds      float64         `json:"seconds"`
}

func ceremonyRun(c *cli.Context) error {
	if c.NArg() != 0 {
		return fmt.Errorf("ceremony run takes no arguments, got %q", c.Args().Slice())
	}
	if c.String("arch") == "" {
		return fmt.Errorf("--arch is required (e.g. 49-16-10)")
	}
	arch, err := zk.ParseArch(c.String("arch"))
	if err != nil {
		return fmt.Errorf("--arch: %w", err)
	}
	scheme, err := schemeArg(c)
	if err != nil {
		return err
	}
	owner, err := privateKey(c, "--from", c.String("from"))
	if err != nil {
		return err
	}
	var contribs []ed25519.PrivateKey
	var addrs []chain.Address
	distinct := map[chain.Address]bool{}
	for _, s := range strings.Split(c.String("contributors"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		k, err := privateKey(c, "--contributors", s)
		if err != nil {
			return err
		}
		contribs = append(contribs, k.Private)
		a := k.Address()
		addrs = append(addrs, a)
		distinct[a] = true
	}
	dir, err := filepath.Abs(c.String("dir"))
	if err != nil {
		return err
	}
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	if p, err := cl.Params(ctx); err == nil && uint64(len(distinct)) < p.CeremonyMinContributors {
		return fmt.Errorf("--contributors: %d distinct keys, the chain needs at least %d (ceremony_min_contributors)",
			len(distinct), p.CeremonyMinContributors)
	} else if err == nil {
		fmt.Fprintf(c.App.ErrWriter, "ceremony for %s (%s scheme): %d contributors, beacons %d blocks after each open, files in %s\n",
			arch, scheme, len(contribs), p.CeremonyBeaconDelay, dir)
	}
	start := time.Now()
	res, err := ceremonyrun.Run(ctx, cl, ceremonyrun.Spec{Arch: arch, Scheme: scheme, Owner: owner.Private, Contributors: contribs,
		Phase1Dir: dir, Phase2Dir: dir, Fee: c.Uint64("fee"),
		Say: func(f string, a ...any) {
			fmt.Fprintf(c.App.ErrWriter, "%7s  "+f+"\n", append([]any{time.Since(start).Round(100 * time.Millisecond)}, a...)...)
		}})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("ceremony run: gave up after --timeout %v: %w", c.Duration("timeout"), err)
		}
		return err
	}
	out := ceremonyRunOut{Phase1: res.Phase1.ID, Phase2: res.Phase2.ID, Arch: arch.String(), Scheme: scheme.String(), Dir: dir, Contributors: addrs,
		Phase1Reused: res.Phase1Reused, VKHash: res.Phase2.VKHash, PKHash: res.Phase2.PKHash,
		Seconds: time.Since(start).Round(10 * time.Millisecond).Seconds()}
	return render(c, out, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "sealed: phase 1 ceremony %d, phase 2 ceremony %d (%s), vk %s, pk %s, in %.1f s\n"+
			"create the subnet with: veritensor subnet create --ceremony %d --arch %s ...\n",
			out.Phase1, out.Phase2, out.Arch, out.VKHash, out.PKHash, out.Seconds, out.Phase2, out.Arch)
		return err
	})
}
