package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
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
		return enc.Encode(jsonView(v))
	case "text", "":
		return text(c.App.Writer)
	default:
		return fmt.Errorf("unknown output format %q (want text or json)", f)
	}
}

// The chain's query answers carry a few byte strings ([]byte) that
// encoding/json would print as base64, next to addresses and hashes in hex.
// The CLI prints every key and byte string in hex: these wrappers shadow
// those fields (a shallower field wins in encoding/json).

// hexBytes is a byte string written in JSON as lowercase hex.
type hexBytes []byte

func (b hexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(b)) }

type subnetJSON struct {
	chain.SubnetInfo
	VK hexBytes `json:"vk,omitempty"`
}

func subnetView(s chain.SubnetInfo) subnetJSON { return subnetJSON{s, s.VK} }

type subnetsJSON struct {
	chain.SubnetsInfo
	Subnets []subnetJSON `json:"subnets"`
}

func subnetsView(v chain.SubnetsInfo) subnetsJSON {
	out := subnetsJSON{SubnetsInfo: v, Subnets: []subnetJSON{}}
	for _, s := range v.Subnets {
		out.Subnets = append(out.Subnets, subnetView(s))
	}
	return out
}

type neuronJSON struct {
	chain.NeuronInfo
	HotkeyPub hexBytes `json:"hotkey_pub"`
}

func neuronView(n chain.NeuronInfo) neuronJSON { return neuronJSON{n, n.HotkeyPub} }

type metagraphJSON struct {
	chain.Metagraph
	Subnet  subnetJSON   `json:"subnet"`
	Neurons []neuronJSON `json:"neurons"`
}

func metagraphView(mg chain.Metagraph) metagraphJSON {
	out := metagraphJSON{Metagraph: mg, Subnet: subnetView(mg.Subnet), Neurons: []neuronJSON{}}
	for _, n := range mg.Neurons {
		out.Neurons = append(out.Neurons, neuronView(n))
	}
	return out
}

// jsonView is v with its byte strings in hex (see hexBytes).
func jsonView(v any) any {
	switch v := v.(type) {
	case chain.SubnetInfo:
		return subnetView(v)
	case chain.SubnetsInfo:
		return subnetsView(v)
	case chain.NeuronInfo:
		return neuronView(v)
	case chain.Metagraph:
		return metagraphView(v)
	}
	return v
}
