package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// urfave/cli v2 parses a command's flags only up to its first positional
// argument: `keys add owner --home X` would leave "--home X" as arguments and
// use the default home. Chain CLIs people know (cobra-based ones, btcli) take
// flags anywhere, and so do the docs, so run moves every flag of the command
// being run ahead of its positional arguments before urfave/cli parses them.

// run runs app on args (args[0] is the program name) with flags accepted
// anywhere after the command path.
func run(app *cli.App, args []string) error {
	args, err := reorderArgs(app, args)
	if err != nil {
		return err
	}
	return app.Run(args)
}

// reorderArgs finds the command that args name (the longest chain of
// command names after args[0]) and moves that command's flags, each with
// its value, ahead of its positional arguments, keeping their order.
// A flag is a token that starts with '-' (not "-" alone); it takes the
// next token as its value unless it is written --name=value or names a
// flag that takes no value (a bool flag, --help). Everything after "--"
// stays a positional argument. Unknown flags move too, so that urfave/cli
// reports them ("flag provided but not defined") instead of passing them on
// as arguments. A flag that takes a value but ends the line is an error.
func reorderArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	cmds := app.Commands
	var leaf *cli.Command
	i := 1
	for i < len(args) {
		c := findCommand(cmds, args[i])
		if c == nil {
			break
		}
		leaf, cmds = c, c.Subcommands
		i++
	}
	if leaf == nil || i == len(args) {
		return args, nil
	}
	rest := args[i:]
	var flags, pos []string
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			pos = append(pos, rest[j:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue(leaf, name) {
			if j+1 == len(rest) {
				return nil, fmt.Errorf("flag %s needs a value (veritensor %s --help)", a, strings.Join(args[1:i], " "))
			}
			j++
			flags = append(flags, rest[j])
		}
	}
	if len(pos) == 0 || len(flags) == 0 {
		return args, nil
	}
	out := append([]string(nil), args[:i]...)
	out = append(out, flags...)
	return append(out, pos...), nil
}

// noExtraArgs wraps the action of a command that takes no positional
// arguments (no ArgsUsage) so that a stray word is an error rather than
// silently ignored: `--commit-reveal false` sets the bool flag to true and
// leaves "false" behind as an argument.
func noExtraArgs(c *cli.Command) {
	if c.Action == nil || c.ArgsUsage != "" || c.SkipFlagParsing {
		return
	}
	act := c.Action
	c.Action = func(ctx *cli.Context) error {
		if ctx.NArg() > 0 {
			return fmt.Errorf("unexpected argument %q: %s takes no arguments, only flags (a bool flag's value goes after '=': --flag=false)",
				ctx.Args().First(), ctx.Command.FullName())
		}
		return act(ctx)
	}
}

// findCommand is the command in cmds named or aliased name, or nil.
func findCommand(cmds []*cli.Command, name string) *cli.Command {
	if strings.HasPrefix(name, "-") {
		return nil
	}
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// takesValue reports whether cmd's flag name consumes the next token: true
// for every flag with a value, false for bool flags and help; an unknown
// flag is taken to have none (urfave/cli rejects it anyway).
func takesValue(cmd *cli.Command, name string) bool {
	if name == "h" || name == "help" {
		return false
	}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if d, ok := f.(cli.DocGenerationFlag); ok {
				return d.TakesValue()
			}
			return true
		}
	}
	return false
}

// A required flag has no default: help says "(required)" where urfave/cli
// would print its zero value as "(default: 0)".
func init() {
	plain := cli.FlagStringer
	cli.FlagStringer = func(f cli.Flag) string {
		s := plain(f)
		r, ok := f.(cli.RequiredFlag)
		d, ok2 := f.(cli.DocGenerationFlag)
		if !ok || !ok2 || !r.IsRequired() {
			return s
		}
		if dt := d.GetDefaultText(); dt != "" {
			s = strings.Replace(s, " (default: "+dt+")", "", 1)
		}
		if u := d.GetUsage(); u != "" {
			return strings.Replace(s, u, u+" (required)", 1)
		}
		return s
	}
}
