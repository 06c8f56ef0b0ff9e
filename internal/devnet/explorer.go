package devnet

import (
	"context"
	"fmt"
	"net"

	"github.com/veritensor/veritensor/internal/explorer"
)

// startExplorer serves a web explorer of the nodes at rpcs on listen until
// the returned stop is called (or ctx ends), and returns its URL.
func startExplorer(ctx context.Context, listen string, rpcs []string) (string, func(), error) {
	pool, err := explorer.NewPool(rpcs)
	if err != nil {
		return "", nil, err
	}
	srv, err := explorer.New(explorer.Options{Source: pool})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return "", nil, fmt.Errorf("devnet: explorer listen %s: %w", listen, err)
	}
	ectx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = explorer.Serve(ectx, ln, srv)
	}()
	return "http://" + ln.Addr().String() + "/", func() { cancel(); <-done }, nil
}
