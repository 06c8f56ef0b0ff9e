package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// outputFlag is the -o flag every command that prints results accepts.
var outputFlag = &cli.StringFlag{
	Name:    "output",
	Aliases: []string{"o"},
	Value:   "text",
	Usage:   "output format: text or json",
}

// render prints v as indented JSON when -o json was given, and otherwise
// calls text to print it for people.
func render(c *cli.Context, v any, text func(w io.Writer) error) error {
	switch f := c.String("output"); f {
	case "json":
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "text", "":
		return text(c.App.Writer)
	default:
		return fmt.Errorf("unknown output format %q (want text or json)", f)
	}
}
