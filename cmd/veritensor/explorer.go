package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/explorer"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "explorer",
		Usage: "serve a read-only web explorer of the chain, its subnets and metagraphs",
		Description: "Serves pages (chain, subnets, metagraph, per-UID history, blocks, transactions, status) and\n" +
			"the same data as JSON under /api/, read from one or more RPC nodes (--node, repeatable or\n" +
			"comma-separated: the explorer fails over when one does not answer). Assets are embedded: it\n" +
			"works offline. Runs until Ctrl-C.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "node", Value: cli.NewStringSlice("tcp://127.0.0.1:26657"), EnvVars: []string{"VERITENSOR_NODE"},
				Usage: "CometBFT RPC address of a node; repeat or comma-separate for failover"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "HTTP listen address (port 0: any free port)"},
			&cli.DurationFlag{Name: "refresh", Usage: "how often pages refresh themselves (0: 3s)"},
			&cli.StringSliceFlag{Name: "metrics", Usage: "a Prometheus endpoint to link from the status page, NAME=URL (repeatable)"},
			outputFlag,
		},
		Action: explorerRun,
	})
}

// explorerStart is what the explorer prints once it listens.
type explorerStart struct {
	URL   string   `json:"url"`
	Nodes []string `json:"nodes"`
}

func explorerRun(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("explorer takes no arguments, got %q", c.Args().Slice())
	}
	links, err := parseLinks(c.StringSlice("metrics"))
	if err != nil {
		return err
	}
	addrs := explorer.SplitAddrs(c.StringSlice("node"))
	pool, err := explorer.NewPool(addrs)
	if err != nil {
		return err
	}
	srv, err := explorer.New(explorer.Options{Source: pool, Refresh: c.Duration("refresh"), Metrics: links})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return fmt.Errorf("--listen %s: %w", c.String("listen"), err)
	}
	start := explorerStart{URL: "http://" + ln.Addr().String() + "/", Nodes: addrs}
	if err := render(c, start, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "explorer on %s (nodes %s); Ctrl-C stops it\n", start.URL, strings.Join(addrs, ", "))
		return err
	}); err != nil {
		ln.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return explorer.Serve(ctx, ln, srv)
}

// parseLinks parses NAME=URL flags.
func parseLinks(flags []string) ([]explorer.Link, error) {
	var out []explorer.Link
	for _, f := range flags {
		name, url, ok := strings.Cut(f, "=")
		if !ok || name == "" || !strings.HasPrefix(url, "http") {
			return nil, fmt.Errorf("--metrics %q: want NAME=http://host:port/metrics", f)
		}
		out = append(out, explorer.Link{Name: name, URL: url})
	}
	return out, nil
}
