// Command veritensor is the single binary of the Veritensor protocol: chain
// node, miner, validator, subnet tooling and the local devnet.
//
// Each subcommand lives in its own file and adds itself to commands from an
// init function; main only assembles the app.
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/urfave/cli/v2"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

// commands is filled by the init functions of the files in this package.
var commands []*cli.Command

// subcommands lets a file add subcommands to a command defined in another
// file (for example protocol transactions under "tx"), independent of init
// order: newApp attaches them, sorted by name, when it assembles the app.
var subcommands = map[string][]*cli.Command{}

// attach registers subs under the top-level command named parent. Call it from
// an init function.
func attach(parent string, subs ...*cli.Command) {
	subcommands[parent] = append(subcommands[parent], subs...)
}

func newApp() *cli.App {
	cmds := make([]*cli.Command, len(commands))
	for i, c := range commands {
		cmds[i] = cloneCommand(c)
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	for _, c := range cmds {
		if extra := subcommands[c.Name]; len(extra) > 0 {
			subs := append([]*cli.Command(nil), c.Subcommands...)
			for _, e := range extra {
				if c.Command(e.Name) == nil { // the owning file's own subcommand wins
					subs = append(subs, cloneCommand(e))
				}
			}
			sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
			c.Subcommands = subs
		}
	}
	var guard func([]*cli.Command)
	guard = func(cs []*cli.Command) {
		for _, c := range cs {
			noExtraArgs(c)
			guard(c.Subcommands)
		}
	}
	guard(cmds)
	return &cli.App{
		Name:                 "veritensor",
		Usage:                "a verifiable AI subnet protocol: CometBFT chain, ZK-proven inference, Yuma consensus",
		Version:              version,
		Commands:             cmds,
		EnableBashCompletion: true,
	}
}

// cloneCommand copies c and its subcommands, so that urfave/cli's setup (which
// writes HelpName and other fields into the commands it runs) never leaks from
// one app into the next when newApp is called more than once in a process.
func cloneCommand(c *cli.Command) *cli.Command {
	cp := *c
	cp.Subcommands = make([]*cli.Command, len(c.Subcommands))
	for i, s := range c.Subcommands {
		cp.Subcommands[i] = cloneCommand(s)
	}
	return &cp
}

func main() {
	app := newApp()
	if err := run(app, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
