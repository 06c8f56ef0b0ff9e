package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// mesh is one toxiproxy proxy per ordered pair of nodes: node i reaches node j
// only through link(i, j), so cutting or slowing links is a partition or a
// slow network between real node processes. The proxies run in this process
// (toxiproxy's server used as a library, no HTTP API).
type mesh struct {
	mu      sync.Mutex
	srv     *toxiproxy.ApiServer
	proxies map[[2]int]*toxiproxy.Proxy
	toxics  map[string]bool // names of the toxics added to every link
}

// newMesh creates (not yet started) a proxy for every ordered pair i != j on
// the given listen ports, forwarding to upstream[j].
func newMesh(upstream []string, listen map[[2]int]string) *mesh {
	// The toxics log through zerolog's global logger at trace level; this
	// process has no other zerolog user.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	m := &mesh{srv: srv, proxies: map[[2]int]*toxiproxy.Proxy{}, toxics: map[string]bool{}}
	for k, addr := range listen {
		m.proxies[k] = toxiproxy.NewProxy(srv, fmt.Sprintf("p%d-%d", k[0], k[1]), addr, upstream[k[1]])
	}
	return m
}

func (m *mesh) start() error {
	for k, p := range m.proxies {
		if err := m.srv.Collection.Add(p, true); err != nil {
			m.close()
			return fmt.Errorf("proxy %d->%d: %w", k[0], k[1], err)
		}
	}
	return nil
}

func (m *mesh) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.proxies {
		p.Stop()
	}
}

// cut stops the links between every node of a and every node of b (both
// directions), closing their connections; heal restarts every link.
func (m *mesh) cut(a, b []int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, i := range a {
		for _, j := range b {
			m.proxies[[2]int{i, j}].Stop()
			m.proxies[[2]int{j, i}].Stop()
		}
	}
}

func (m *mesh) heal() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, p := range m.proxies {
		if p.Enabled {
			continue
		}
		if err := p.Start(); err != nil && err != toxiproxy.ErrProxyAlreadyStarted {
			return fmt.Errorf("heal proxy %d->%d: %w", k[0], k[1], err)
		}
	}
	return nil
}

// addToxic adds a toxic (toxiproxy JSON attributes) in both directions of
// every link.
func (m *mesh) addToxic(name, typ, attrs string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, p := range m.proxies {
		for _, s := range []string{"upstream", "downstream"} {
			js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"attributes":%s}`, name+"_"+s, typ, s, attrs)
			if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
				return fmt.Errorf("toxic %s on %d->%d: %w", name, k[0], k[1], err)
			}
		}
	}
	m.toxics[name] = true
	return nil
}

func (m *mesh) removeToxics() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.toxics {
		for _, p := range m.proxies {
			for _, s := range []string{"upstream", "downstream"} {
				_ = p.Toxics.RemoveToxic(context.Background(), name+"_"+s)
			}
		}
	}
	m.toxics = map[string]bool{}
}
