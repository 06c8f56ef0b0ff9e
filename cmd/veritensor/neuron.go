package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/zk"
)

// Transactions of UIDs: register, serve, stake, unstake, set-weights,
// commit-weights, reveal-weights, submit-proof (all under `veritensor tx`).

func init() {
	hotkeyArg := &cli.StringFlag{Name: "hotkey", Required: true, Usage: "the hotkey: a key name in <home>/keys or an address (40 hex digits)"}
	amount := &cli.Uint64Flag{Name: "amount", Required: true, Usage: "amount in base units"}
	attach("tx",
		&cli.Command{
			Name:  "register",
			Usage: "register a hotkey on a subnet: --from is the owner (pays the burn), --hotkey the key that will operate the UID",
			Flags: txFlags(subnetFlag,
				&cli.StringFlag{Name: "hotkey", Required: true, Usage: "the hotkey, which signs too: a key name in <home>/keys or the address of one"}),
			Action: txRegister,
		},
		&cli.Command{
			Name:  "serve",
			Usage: "publish the UID's endpoint, model commitment and hardware (--from is the hotkey)",
			Flags: txFlags(subnetFlag,
				&cli.StringFlag{Name: "endpoint", Usage: "miner endpoint URL, e.g. http://1.2.3.4:8080"},
				&cli.StringFlag{Name: "model", Usage: "model file (.vtm) whose commitment to publish: the subnet's scheme's (on a commit-scheme subnet the model point, made with the subnet's proving key from --keys-dir)"},
				&cli.StringFlag{Name: "commitment", Usage: "model commitment, 32-byte hex (instead of --model)"},
				&cli.StringFlag{Name: "hardware", Usage: "hardware summary, e.g. the output of `veritensor hw`"},
				keysDirFlag),
			Action: txServe,
		},
		&cli.Command{Name: "stake", Usage: "delegate balance to a hotkey on a subnet (--from is the owner)",
			Flags: txFlags(subnetFlag, hotkeyArg, amount), Action: txStake(false)},
		&cli.Command{Name: "unstake", Usage: "return delegated stake to the balance (--from is the owner)",
			Flags: txFlags(subnetFlag, hotkeyArg, amount), Action: txStake(true)},
		&cli.Command{
			Name:   "set-weights",
			Usage:  "set the hotkey's weights on a subnet without commit-reveal (--from is the hotkey)",
			Flags:  txFlags(subnetFlag, &cli.StringFlag{Name: "weights", Required: true, Usage: "uid:value,... (values 1..65535, UIDs increasing)"}),
			Action: txSetWeights,
		},
		&cli.Command{
			Name:  "commit-weights",
			Usage: "commit to weights with a random salt; reveal them next epoch with reveal-weights --in",
			Flags: txFlags(subnetFlag,
				&cli.StringFlag{Name: "weights", Required: true, Usage: "uid:value,... (values 1..65535, UIDs increasing)"},
				&cli.StringFlag{Name: "out", Value: "reveal.json", Usage: "file that keeps the weights and salt for the reveal"}),
			Action: txCommitWeights,
		},
		&cli.Command{
			Name:   "reveal-weights",
			Usage:  "reveal the weights committed last epoch",
			Flags:  txFlags(&cli.StringFlag{Name: "in", Value: "reveal.json", Usage: "file written by commit-weights"}),
			Action: txRevealWeights,
		},
		&cli.Command{
			Name:  "submit-proof",
			Usage: "prove the model on this epoch's chain-derived challenge input and submit the proof (--from is the hotkey)",
			Flags: txFlags(subnetFlag,
				&cli.StringFlag{Name: "model", Required: true, Usage: "model file (.vtm), the one whose commitment was served"},
				keysDirFlag),
			Description: "Proves with the subnet's circuit under its proof scheme. A hash-scheme subnet's keys come from\n" +
				"--keys-dir (set up there on a miss); a commit-scheme subnet's must be there already, matching the\n" +
				"subnet's pk_hash (`veritensor ceremony verify --subnet N --node URL` verifies them and prints their directory).",
			Action: txSubmitProof,
		},
	)
}

func txRegister(c *cli.Context) error {
	owner, err := privateKey(c, "--from", c.String("from"))
	if err != nil {
		return err
	}
	hot, err := privateKey(c, "--hotkey", c.String("hotkey"))
	if err != nil {
		return err
	}
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	chainID, err := cl.ChainID(ctx)
	if err != nil {
		return err
	}
	return sendMsg(c, chain.NewMsgRegister(chainID, uint16(c.Uint("subnet")), owner.Address(), hot.Private))
}

// subnetScheme reads subnet id and its proof scheme.
func subnetScheme(c *cli.Context, id uint16) (chain.SubnetInfo, zk.Scheme, error) {
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return chain.SubnetInfo{}, 0, err
	}
	defer cancel()
	si, err := cl.Subnet(ctx, id)
	if err != nil {
		return si, 0, err
	}
	s, err := si.Task.Scheme()
	if err != nil {
		return si, 0, fmt.Errorf("subnet %d: %w (upgrade veritensor)", id, err)
	}
	return si, s, nil
}

// subnetCommitProver is the prover of a commit-scheme subnet from
// --keys-dir, its keys checked against the subnet's pk_hash and vk_hash.
func subnetCommitProver(c *cli.Context, si chain.SubnetInfo) (zk.SingleProver, error) {
	p, err := miner.LoadProver(c.String("keys-dir"), si)
	if err != nil {
		return nil, fmt.Errorf("subnet %d uses the commit scheme, whose model commitment (the model point) depends on its proving key: %w", si.ID, err)
	}
	return p, nil
}

func txServe(c *cli.Context) error {
	var commit chain.Hash32
	switch {
	case c.String("model") != "":
		b, err := os.ReadFile(c.String("model"))
		if err != nil {
			return err
		}
		m, err := zk.UnmarshalModel(b)
		if err != nil {
			return err
		}
		si, s, err := subnetScheme(c, uint16(c.Uint("subnet")))
		if err != nil {
			return err
		}
		if s == zk.SchemeHash || si.Task.Proofless {
			commit = m.Commitment()
			break
		}
		p, err := subnetCommitProver(c, si)
		if err != nil {
			return err
		}
		if commit, err = p.ModelCommitment(m); err != nil {
			return err
		}
	case c.String("commitment") != "":
		var err error
		if commit, err = chain.ParseHash32(c.String("commitment")); err != nil {
			return err
		}
	}
	return sendMsg(c, &chain.MsgServe{Subnet: uint16(c.Uint("subnet")), Endpoint: c.String("endpoint"),
		ModelCommitment: commit, Hardware: c.String("hardware")})
}

func txStake(un bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		hk, err := keyAddress(c, "--hotkey", c.String("hotkey"))
		if err != nil {
			return err
		}
		m := chain.MsgStake{Subnet: uint16(c.Uint("subnet")), Hotkey: hk, Amount: c.Uint64("amount")}
		if un {
			u := chain.MsgUnstake(m)
			return sendMsg(c, &u)
		}
		return sendMsg(c, &m)
	}
}

func txSetWeights(c *cli.Context) error {
	w, err := parseWeights(c.String("weights"))
	if err != nil {
		return err
	}
	return sendMsg(c, &chain.MsgSetWeights{Subnet: uint16(c.Uint("subnet")), Weights: w})
}

func txCommitWeights(c *cli.Context) error {
	w, err := parseWeights(c.String("weights"))
	if err != nil {
		return err
	}
	k, err := privateKey(c, "--from", c.String("from"))
	if err != nil {
		return err
	}
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	pr, info, err := cl.CommitWeights(ctx, k.Private, uint16(c.Uint("subnet")), w, c.Uint64("fee"))
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(pr, "", "  ")
	if err := os.WriteFile(c.String("out"), b, 0o600); err != nil {
		return err
	}
	return render(c, info, func(wr io.Writer) error {
		fmt.Fprintf(wr, "committed for epoch %d; reveal next epoch with: veritensor tx reveal-weights --in %s\n", pr.Epoch, c.String("out"))
		return printTx(wr, info)
	})
}

func txRevealWeights(c *cli.Context) error {
	b, err := os.ReadFile(c.String("in"))
	if err != nil {
		return err
	}
	var pr client.PendingReveal
	if err := json.Unmarshal(b, &pr); err != nil {
		return fmt.Errorf("%s: %w", c.String("in"), err)
	}
	return sendMsg(c, &chain.MsgRevealWeights{Subnet: pr.Subnet, Weights: pr.Weights, Salt: pr.Salt})
}

func txSubmitProof(c *cli.Context) error {
	b, err := os.ReadFile(c.String("model"))
	if err != nil {
		return err
	}
	m, err := zk.UnmarshalModel(b)
	if err != nil {
		return err
	}
	k, err := privateKey(c, "--from", c.String("from"))
	if err != nil {
		return err
	}
	id := uint16(c.Uint("subnet"))
	si, s, err := subnetScheme(c, id)
	if err != nil {
		return err
	}
	var prover zk.SingleProver
	if s == zk.SchemeHash {
		keys, err := txKeys(c, m.Arch)
		if err != nil {
			return err
		}
		if prover, err = zk.NewProver(m.Arch, keys.PK); err != nil {
			return err
		}
	} else if prover, err = subnetCommitProver(c, si); err != nil {
		return err
	}
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	ep, _, x, err := cl.Challenge(ctx, id, k.Address())
	if err != nil {
		return err
	}
	proof, pub, err := prover.Prove(m, x, zk.Binding{HotkeyHash: zk.HotkeyHash(k.Public()), Epoch: ep.Epoch})
	if err != nil {
		return err
	}
	return sendMsg(c, &chain.MsgSubmitProof{Subnet: id, Epoch: ep.Epoch, Output: pub.Output, Proof: proof})
}
