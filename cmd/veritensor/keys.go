package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain/keys"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "keys",
		Usage: "manage account keys in <home>/keys (ed25519, files readable only by you)",
		Subcommands: []*cli.Command{
			{
				Name: "add", Usage: "generate a new key", ArgsUsage: "NAME",
				Flags:  []cli.Flag{homeFlag, outputFlag},
				Action: keysAdd,
			},
			{
				Name: "list", Usage: "list every key",
				Flags:  []cli.Flag{homeFlag, outputFlag},
				Action: keysList,
			},
			{
				Name: "show", Usage: "show one key's address and public key", ArgsUsage: "NAME",
				Flags: []cli.Flag{homeFlag, outputFlag,
					&cli.BoolFlag{Name: "address", Aliases: []string{"a"}, Usage: "print only the address (for scripts: A=$(veritensor keys show NAME -a))"}},
				Action: keysShow,
			},
		},
	})
}

func keyName(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("want exactly one key NAME")
	}
	return c.Args().First(), nil
}

func printKeyInfo(w io.Writer, ks ...keys.Info) error {
	for _, k := range ks {
		if _, err := fmt.Fprintf(w, "%-16s %s  pub %s\n", k.Name, k.Address, k.PubKey); err != nil {
			return err
		}
	}
	return nil
}

func keysAdd(c *cli.Context) error {
	name, err := keyName(c)
	if err != nil {
		return err
	}
	k, err := keyring(c).Add(name)
	if err != nil {
		return err
	}
	return render(c, k.Info(), func(w io.Writer) error { return printKeyInfo(w, k.Info()) })
}

func keysList(c *cli.Context) error {
	ks, err := keyring(c).List()
	if err != nil {
		return err
	}
	infos := make([]keys.Info, len(ks))
	for i, k := range ks {
		infos[i] = k.Info()
	}
	return render(c, infos, func(w io.Writer) error { return printKeyInfo(w, infos...) })
}

func keysShow(c *cli.Context) error {
	name, err := keyName(c)
	if err != nil {
		return err
	}
	k, err := keyring(c).Get(name)
	if err != nil {
		return err
	}
	if c.Bool("address") {
		_, err := fmt.Fprintln(c.App.Writer, k.Address())
		return err
	}
	return render(c, k.Info(), func(w io.Writer) error { return printKeyInfo(w, k.Info()) })
}
