package testnet

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abci "github.com/cometbft/cometbft/abci/types"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/node"
)

const (
	benchAccounts    = 64  // senders; each sends its txs in nonce order to one node
	benchPerAccount  = 200 // txs per sender
	benchWorkers     = 16  // concurrent submitters (4 accounts each)
	benchBlockPeriod = 200 * time.Millisecond
)

// BenchmarkThroughput measures sustained transfer throughput on a
// 4-validator loopback testnet (all nodes in this process, real badger, real
// p2p), then the same load shape against CometBFT's kvstore example app run the
// same way, and reports both and their ratio. Transactions are signed
// beforehand and submitted through each node's in-process RPC environment
// (BroadcastTxSync, which runs CheckTx); the clock runs from the first
// submission until the last transaction is in a committed block.
func BenchmarkThroughput(b *testing.B) {
	for i := 0; i < b.N; i++ {
		vt, vtCPU := measure(b, "veritensor", nil, veritensorLoad)
		kv, kvCPU := measure(b, "kvstore", kvstoreFactory, kvstoreLoad)
		b.ReportMetric(vt, "veritensor_tx/s")
		b.ReportMetric(kv, "kvstore_tx/s")
		b.ReportMetric(vt/kv, "ratio")
		b.ReportMetric(vtCPU, "veritensor_cpu_us/tx")
		b.ReportMetric(kvCPU, "kvstore_cpu_us/tx")
		b.Logf("veritensor %.0f tx/s (%.0f us CPU/tx), kvstore %.0f tx/s (%.0f us CPU/tx), ratio %.2f",
			vt, vtCPU, kv, kvCPU, vt/kv)
	}
}

func kvstoreFactory(home string) (abci.Application, io.Closer, error) {
	app := kvstore.NewPersistentApplication(filepath.Join(home, "data", "kvstore"))
	return app, app, nil
}

// A load is one ordered stream of txs per worker.
type load func(net *Network) [][][]byte

func benchOptions(chainID string) Options {
	o := Options{Validators: 4, ChainID: chainID,
		Config: node.Config{TimeoutCommit: node.Duration(benchBlockPeriod), CreateEmptyBlocks: true, MempoolSize: 50000,
			// A burst of thousands of txs on 2 shared cores can delay a
			// proposal past the 3 s default and cost a round; both apps get
			// the same, longer propose timeout.
			TimeoutPropose: node.Duration(10 * time.Second)}}
	for a := 0; a < benchAccounts; a++ {
		k := DeterministicKey(chainID, a)
		o.Accounts = append(o.Accounts, chain.GenesisAccount{Address: chain.AddressFromPubKey(k.Public().(ed25519.PublicKey)), Balance: 1 << 40})
	}
	return o
}

func veritensorLoad(net *Network) [][][]byte {
	streams := make([][][]byte, benchWorkers)
	to := net.Keys[0].Address()
	for w := 0; w < benchWorkers; w++ {
		for n := uint64(0); n < benchPerAccount; n++ {
			for a := w; a < benchAccounts; a += benchWorkers {
				k := DeterministicKey(net.ChainID, a)
				raw := chain.NewTx(net.ChainID, &chain.MsgTransfer{To: to, Amount: 1}, k, n, net.Genesis.Params.MinFee).Marshal()
				streams[w] = append(streams[w], raw)
			}
		}
	}
	return streams
}

// kvstoreLoad sends key=value txs of the same size as a signed transfer.
func kvstoreLoad(net *Network) [][][]byte {
	k := DeterministicKey(net.ChainID, 0)
	size := len(chain.NewTx(net.ChainID, &chain.MsgTransfer{To: net.Keys[0].Address(), Amount: 1}, k, 0, 100).Marshal())
	streams := make([][][]byte, benchWorkers)
	for w := 0; w < benchWorkers; w++ {
		for i := 0; i < benchPerAccount*benchAccounts/benchWorkers; i++ {
			tx := fmt.Sprintf("k%02d-%06d=", w, i)
			tx += strings.Repeat("v", size-len(tx))
			streams[w] = append(streams[w], []byte(tx))
		}
	}
	return streams
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure returns committed tx/s and the process CPU time per committed tx
// (all four nodes together, in microseconds).
func measure(b *testing.B, name string, factory node.AppFactory, mk load) (float64, float64) {
	b.Helper()
	b.StopTimer()
	net, err := Generate(b.TempDir(), benchOptions("bench-"+name))
	if err != nil {
		b.Fatal(err)
	}
	net.NodeOptions.NewApp = factory
	if err := net.StartAll(); err != nil {
		b.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := net.WaitHeight(ctx, 2); err != nil {
		b.Fatal(err)
	}
	streams := mk(net)
	total := 0
	for _, s := range streams {
		total += len(s)
	}
	locals := make([]*rpclocal.Local, net.Len())
	for i := range locals {
		locals[i] = rpclocal.New(net.Node(i).CometBFT())
	}
	watch := net.Node(0)
	startHeight := watch.Height()

	b.StartTimer()
	start, cpu0 := time.Now(), cpuTime()
	var rejected atomic.Int64
	var wg sync.WaitGroup
	for w, s := range streams {
		wg.Add(1)
		go func(c *rpclocal.Local, txs [][]byte) {
			defer wg.Done()
			for _, tx := range txs {
				for {
					res, err := c.BroadcastTxSync(ctx, cmttypes.Tx(tx))
					if err != nil && strings.Contains(err.Error(), "mempool is full") {
						time.Sleep(20 * time.Millisecond)
						continue
					}
					if err != nil || res.Code != 0 {
						rejected.Add(1)
					}
					break
				}
			}
		}(locals[w%len(locals)], s)
	}
	committed := 0
	h := startHeight
	for committed < total-int(rejected.Load()) {
		if ctx.Err() != nil {
			b.Fatalf("%s: %d of %d committed before timeout", name, committed, total)
		}
		for h < watch.Height() {
			h++
			committed += len(watch.CometBFT().BlockStore().LoadBlock(h).Txs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	wg.Wait()
	if r := rejected.Load(); r != 0 {
		b.Fatalf("%s: %d txs rejected", name, r)
	}
	b.Logf("%s: %d txs in %d blocks, %.2fs wall, %.2fs CPU", name, committed, h-startHeight, elapsed.Seconds(), cpu.Seconds())
	return float64(committed) / elapsed.Seconds(), float64(cpu.Microseconds()) / float64(committed)
}
