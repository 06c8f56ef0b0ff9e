package testnet

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/node"
)

// TestPrometheusMetrics: with prometheus on in node.json, one endpoint serves
// CometBFT's metrics and the app's veritensor_chain_* metrics.
func TestPrometheusMetrics(t *testing.T) {
	ports, err := FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	net, err := Generate(t.TempDir(), Options{Validators: 1,
		Config: node.Config{TimeoutCommit: node.Duration(100 * time.Millisecond), CreateEmptyBlocks: true, Prometheus: true, PrometheusListen: addr}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := net.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Transfer(ctx, net.Keys[0].Private, chain.Address{9}, 5, fee); err != nil {
		t.Fatal(err)
	}
	// A fee below the minimum, sent raw (the client would raise it).
	low := chain.NewTx(net.ChainID, &chain.MsgTransfer{To: chain.Address{9}, Amount: 5}, net.Keys[0].Private, 1, 1)
	if _, err := cl.BroadcastTx(ctx, low.Marshal()); err == nil {
		t.Fatal("fee 1 accepted")
	}
	h, _ := cl.Height(ctx)
	if err := cl.WaitHeight(ctx, h+1); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`veritensor_chain_txs_total{result="ok",type="transfer"} 1`,
		`veritensor_chain_checktx_refused_total{reason="fee_too_low"} 1`,
		`veritensor_chain_state_keys `,
		`veritensor_chain_commit_seconds_count`,
		`veritensor_chain_end_block_seconds_count`,
		`cometbft_consensus_height`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
