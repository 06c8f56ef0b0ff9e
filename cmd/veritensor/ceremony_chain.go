package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/zk"
)

// On-chain setup ceremony commands: `veritensor tx ceremony-open |
// ceremony-contribute | ceremony-seal` record hashes (the files themselves
// come from `veritensor ceremony ...`), and `veritensor query ceremony ID |
// ceremonies` read the records.

func init() {
	flags := []cli.Flag{nodeFlag, timeoutFlag, outputFlag}
	attach("query",
		&cli.Command{Name: "ceremonies", Usage: "every setup ceremony", Flags: flags, Action: queryCeremonies},
		&cli.Command{Name: "ceremony", Usage: "one setup ceremony: transcript hashes, contributors, beacon, sealed keys", ArgsUsage: "ID", Flags: flags, Action: queryCeremony},
	)
	attach("tx",
		&cli.Command{Name: "ceremony-open", Usage: "open a setup ceremony (phase 1: --power; phase 2: --arch, --scheme and --phase1); its beacon block is fixed now",
			Flags: txFlags(
				&cli.UintFlag{Name: "phase", Required: true, Usage: "1 (powers of tau) or 2 (one circuit)"},
				&cli.UintFlag{Name: "power", Usage: "phase 1: log2 of the size"},
				&cli.StringFlag{Name: "arch", Usage: "phase 2: model architecture, e.g. 49-16-10"},
				&cli.StringFlag{Name: "scheme", Value: "hash", Usage: "phase 2: proof scheme of the circuit, hash or commit (a subnet created on the ceremony proves under it; docs/zk.md)"},
				&cli.UintFlag{Name: "phase1", Usage: "phase 2: the sealed phase-1 ceremony ID"},
				&cli.StringFlag{Name: "init", Required: true, Usage: "SHA-256 (hex) of the initial transcript file"},
				&cli.StringFlag{Name: "source", Required: true, Usage: "where transcript files are fetched: absolute directory or http(s) base URL (file = SOURCE/<hex sha256>.ceremony, as veritensor ceremony --dir writes them)"},
				&cli.StringSliceFlag{Name: "allow", Usage: "address allowed to contribute (repeatable; none: anyone)"},
			), Action: txCeremonyOpen},
		&cli.Command{Name: "ceremony-contribute", Usage: "record a contribution (the signer is the contributor); --prev defaults to the ceremony's head",
			Flags: txFlags(
				&cli.UintFlag{Name: "ceremony", Required: true, Usage: "ceremony ID"},
				&cli.StringFlag{Name: "prev", Usage: "SHA-256 of the transcript file contributed to (default: the recorded head)"},
				&cli.StringFlag{Name: "hash", Required: true, Usage: "SHA-256 of the new transcript file"},
			), Action: txCeremonyContribute},
		&cli.Command{Name: "ceremony-seal", Usage: "seal a ceremony after its beacon block (owner only)",
			Flags: txFlags(
				&cli.UintFlag{Name: "ceremony", Required: true, Usage: "ceremony ID"},
				&cli.StringFlag{Name: "sealed", Required: true, Usage: "SHA-256 of the sealed output file"},
				&cli.StringFlag{Name: "pk-hash", Usage: "phase 2: SHA-256 of the proving key"},
				&cli.PathFlag{Name: "vk", Usage: "phase 2: verifying key file"},
			), Action: txCeremonySeal},
	)
}

func ceremonyArg(c *cli.Context) (uint32, error) {
	if c.NArg() != 1 {
		return 0, fmt.Errorf("want 1 argument: %s", c.Command.ArgsUsage)
	}
	id, err := strconv.ParseUint(c.Args().First(), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("ceremony ID %q is not a number", c.Args().First())
	}
	return uint32(id), nil
}

func queryCeremonies(c *cli.Context) error {
	return runQuery(c, (*client.Client).Ceremonies, func(w io.Writer, v chain.CeremoniesInfo) error {
		for _, ci := range v.Ceremonies {
			printCeremonyLine(w, ci)
		}
		_, err := fmt.Fprintf(w, "%d ceremonies\n", len(v.Ceremonies))
		return err
	})
}

func queryCeremony(c *cli.Context) error {
	id, err := ceremonyArg(c)
	if err != nil {
		return err
	}
	return runQuery(c, func(cl *client.Client, ctx context.Context) (chain.CeremonyInfo, error) { return cl.Ceremony(ctx, id) },
		func(w io.Writer, ci chain.CeremonyInfo) error {
			printCeremonyLine(w, ci)
			fmt.Fprintf(w, "source %s\ninit   %s\n", ci.Source, ci.Init)
			for i, k := range ci.Contributions {
				fmt.Fprintf(w, "%-6d %s by %s at %d\n", i+1, k.Hash, k.Contributor, k.Height)
			}
			fmt.Fprintf(w, "beacon %s (block %d, hash %s)\n", ci.Beacon, ci.BeaconHeight, ci.BeaconBlockHash)
			if ci.Sealed {
				fmt.Fprintf(w, "sealed at %d: output %s\n", ci.SealedAt, ci.Output)
				if ci.Phase == chain.CeremonyPhase2 {
					fmt.Fprintf(w, "vk %s (%d bytes) pk %s\n", ci.VKHash, len(ci.VK), ci.PKHash)
				}
			}
			return nil
		})
}

func printCeremonyLine(w io.Writer, ci chain.CeremonyInfo) {
	what := fmt.Sprintf("phase 1, 2^%d", ci.Power)
	if ci.Phase == chain.CeremonyPhase2 {
		what = fmt.Sprintf("phase 2, %s on %d", ci.Arch, ci.Phase1)
		if ci.Scheme != "" && ci.Scheme != zk.SchemeHash.String() {
			what = fmt.Sprintf("phase 2, %s %s on %d", ci.Arch, ci.Scheme, ci.Phase1)
		}
	}
	state := fmt.Sprintf("open until block %d", ci.BeaconHeight)
	if ci.Sealed {
		state = "sealed"
	}
	fmt.Fprintf(w, "%-4d %-24s %d contributions (%d distinct, %d required)  %s  owner %s\n", ci.ID, what,
		len(ci.Contributions), ci.DistinctContributors, ci.MinContributors, state, ci.Owner)
}

func txCeremonyOpen(c *cli.Context) error {
	init, err := chain.ParseHash32(c.String("init"))
	if err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	m := &chain.MsgCeremonyOpen{Phase: uint8(c.Uint("phase")), Power: uint8(c.Uint("power")), Arch: c.String("arch"),
		Phase1: uint32(c.Uint("phase1")), Init: init, Source: c.String("source")}
	s, err := schemeArg(c)
	if err != nil {
		return err
	}
	if m.Phase != chain.CeremonyPhase2 && s != zk.SchemeHash {
		return fmt.Errorf("--scheme %s: a scheme is a phase-2 (circuit) choice; phase 1 takes none", s)
	}
	if m.Phase == chain.CeremonyPhase2 {
		m.Scheme = s
	}
	for _, s := range c.StringSlice("allow") {
		a, err := chain.ParseAddress(s)
		if err != nil {
			return fmt.Errorf("--allow: %w", err)
		}
		m.Allowed = append(m.Allowed, a)
	}
	sortAddresses(m.Allowed)
	return sendMsg(c, m)
}

func sortAddresses(a []chain.Address) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && string(a[j-1][:]) > string(a[j][:]); j-- {
			a[j-1], a[j] = a[j], a[j-1]
		}
	}
}

func txCeremonyContribute(c *cli.Context) error {
	id := uint32(c.Uint("ceremony"))
	hash, err := chain.ParseHash32(c.String("hash"))
	if err != nil {
		return fmt.Errorf("--hash: %w", err)
	}
	var prev chain.Hash32
	if s := c.String("prev"); s != "" {
		if prev, err = chain.ParseHash32(s); err != nil {
			return fmt.Errorf("--prev: %w", err)
		}
	} else {
		cl, ctx, cancel, err := dial(c)
		if err != nil {
			return err
		}
		ci, err := cl.Ceremony(ctx, id)
		cancel()
		if err != nil {
			return err
		}
		prev = ci.Head
	}
	return sendMsg(c, &chain.MsgCeremonyContribute{Ceremony: id, Prev: prev, Hash: hash})
}

func txCeremonySeal(c *cli.Context) error {
	id := uint32(c.Uint("ceremony"))
	out, err := chain.ParseHash32(c.String("sealed"))
	if err != nil {
		return fmt.Errorf("--sealed: %w", err)
	}
	m := &chain.MsgCeremonySeal{Ceremony: id, Output: out}
	if s := c.String("pk-hash"); s != "" {
		if m.PKHash, err = chain.ParseHash32(s); err != nil {
			return fmt.Errorf("--pk-hash: %w", err)
		}
	}
	if p := c.Path("vk"); p != "" {
		if m.VK, err = os.ReadFile(p); err != nil {
			return fmt.Errorf("--vk: %w", err)
		}
	}
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	ci, err := cl.Ceremony(ctx, id)
	cancel()
	if err != nil {
		return err
	}
	m.Head = ci.Head
	return sendMsg(c, m)
}
