package explorer

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromePath finds Chromium ($CHROME_PATH, then the usual names).
func chromePath() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// browser starts headless Chromium, or skips the test saying why it cannot.
func browser(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	path := chromePath()
	if path == "" {
		t.Skip("browser test skipped: no Chromium found (install Debian's chromium package: apt-get install -y chromium; .ci/run does), or set CHROME_PATH")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1400, 1000))
	actx, cancelA := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Skipf("browser test skipped: Chromium at %s cannot start: %v", path, err)
	}
	return ctx
}

// text reads the text of the first element matching the CSS selector
// (waiting up to 5 s for it).
func text(ctx context.Context, sel string) (string, error) {
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
}

func eval[T any](ctx context.Context, js string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](js))
}

// navStatus navigates to url and returns the HTTP status of the page.
func navStatus(t *testing.T, ctx context.Context, url string) int {
	t.Helper()
	res, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return int(res.Status)
}

func digits(s string) uint64 {
	n, _ := strconv.ParseUint(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s), 10, 64)
	return n
}

type pageRow struct {
	UID      string `json:"uid"`
	Stake    string `json:"stake"`
	Emission string `json:"emission"`
	Proof    string `json:"proof"`
	Role     string `json:"role"`
}

const rowsJS = `Array.from(document.querySelectorAll('#metagraph-table tbody tr')).map(tr => ({
  uid: tr.dataset.uid, stake: tr.querySelector('.stake').textContent, emission: tr.querySelector('.emission').textContent,
  proof: tr.querySelector('.proof').textContent.trim(), role: tr.querySelector('.tag').textContent}))`

// TestBrowser runs the explorer against a real loopback chain and looks at it
// in headless Chromium: the metagraph shows the chain's UIDs and stakes, the
// cheater's row 0 emission and ✗, the charts draw, bad URLs are clean 404s,
// and an open page keeps updating through a node's stop (failover to the
// second node) and restart.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: a real chain and Chromium (not in -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	bctx := browser(t, ctx)
	start := time.Now()
	tc := startChain(t, ctx)
	t.Logf("chain with a paying epoch in %v", time.Since(start).Round(time.Millisecond))

	pool, err := NewPool([]string{tc.net.RPCAddress(0), tc.net.RPCAddress(1)})
	if err != nil {
		t.Fatal(err)
	}
	pool.Timeout = time.Second
	srv, err := New(Options{Source: pool, Refresh: 500 * time.Millisecond, Poll: 300 * time.Millisecond,
		Metrics: []Link{{Name: "node0", URL: "http://127.0.0.1:26660/metrics"}}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stopSrv := context.WithCancel(ctx)
	defer stopSrv()
	go Serve(sctx, ln, srv)
	base := "http://" + ln.Addr().String()
	tc.stop() // a quieter machine from here on

	// The metagraph table shows what the chain reports. Stakes grow with
	// dividends at each epoch: compare a page read between two equal chain
	// reads.
	var rows []pageRow
	for attempt := 0; ; attempt++ {
		before, err := tc.c.Metagraph(ctx, tcSubnet)
		if err != nil {
			t.Fatal(err)
		}
		if code := navStatus(t, bctx, base+"/subnet/0"); code != 200 {
			t.Fatalf("subnet page: %d", code)
		}
		if rows, err = eval[[]pageRow](bctx, rowsJS); err != nil {
			t.Fatal(err)
		}
		after, _ := tc.c.Metagraph(ctx, tcSubnet)
		same := len(rows) == len(before.Neurons)
		for i := range before.Neurons {
			same = same && i < len(after.Neurons) && before.Neurons[i].Stake == after.Neurons[i].Stake &&
				digits(rows[i].Stake) == before.Neurons[i].Stake && rows[i].UID == fmt.Sprint(before.Neurons[i].UID)
		}
		if same {
			break
		}
		if attempt == 5 {
			t.Fatalf("page rows %+v, chain %+v", rows, before.Neurons)
		}
	}
	for _, r := range rows {
		switch r.UID {
		case fmt.Sprint(tc.cheater.uid):
			if r.Emission != "0" || r.Proof != "✗" || r.Role != "miner" {
				t.Fatalf("cheater row %+v, want emission 0 and ✗", r)
			}
		case fmt.Sprint(tc.miners[0].uid), fmt.Sprint(tc.miners[1].uid):
			if digits(r.Emission) == 0 {
				t.Fatalf("honest miner row %+v earned nothing", r)
			}
		}
	}
	// Charts are drawn: non-empty SVGs.
	counts, err := eval[[]int](bctx, `['#chart-emission rect', '#chart-scatter circle', '#chart-heatmap rect']
		.map(s => document.querySelectorAll(s).length)`)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range counts {
		if n == 0 {
			t.Fatalf("chart %d is empty (%v)", i, counts)
		}
	}
	// Sorting is a link: the URL keeps it.
	if code := navStatus(t, bctx, base+"/subnet/0?sort=stake&dir=desc"); code != 200 {
		t.Fatal(code)
	}
	if first, err := text(bctx, "#metagraph-table tbody tr:first-child td:first-child"); err != nil || first != fmt.Sprint(tc.vals[1].uid) {
		t.Fatalf("sorted by stake: first uid %q (%v), want %d", first, err, tc.vals[1].uid)
	}
	// The cheater's page: ✗ in its proof history, an emission chart.
	if code := navStatus(t, bctx, fmt.Sprintf("%s/subnet/0/uid/%d", base, tc.cheater.uid)); code != 200 {
		t.Fatal(code)
	}
	badge, err := text(bctx, "h1 .badge")
	if err != nil {
		t.Fatal(err)
	}
	bars, err := eval[int](bctx, `document.querySelectorAll('#chart-emission rect').length`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(badge, "✗") || bars == 0 {
		t.Fatalf("cheater page: badge %q, %d bars", badge, bars)
	}
	// Bad URLs: a clean 404 page.
	for _, p := range []string{"/nope", "/subnet/7", "/subnet/0/uid/99", "/block/99999999", "/tx/00"} {
		if code := navStatus(t, bctx, base+p); code != 404 {
			t.Fatalf("%s: %d, want 404", p, code)
		}
		if h1, err := text(bctx, "h1"); err != nil || !strings.HasPrefix(h1, "404") {
			t.Fatalf("%s: heading %q %v", p, h1, err)
		}
	}

	// Failover, deterministically: a pool whose first node refuses
	// connections answers from the second and says so.
	fo, err := NewPool([]string{"tcp://127.0.0.1:1", tc.net.RPCAddress(1)})
	if err != nil {
		t.Fatal(err)
	}
	if mg, err := fo.Metagraph(ctx, tcSubnet); err != nil || len(mg.Neurons) != 5 {
		t.Fatalf("failover pool: %v", err)
	}
	if ns := fo.Nodes(); ns[0].Up || ns[0].LastError == "" || !ns[1].Up || !ns[1].Current {
		t.Fatalf("failover pool health %+v", ns)
	}

	// An open chain page survives node 0's stop (the explorer fails over to
	// node 1; the chain halts, 2 validators) and restart (the chain goes on).
	if code := navStatus(t, bctx, base+"/"); code != 200 {
		t.Fatal(code)
	}
	if err := tc.net.Stop(0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	halted, err := text(bctx, "#height")
	if err != nil {
		t.Fatalf("page during the stop: %v", err)
	}
	if code := navStatus(t, bctx, base+"/subnet/0"); code != 200 {
		t.Fatalf("subnet page with node 0 down: %d", code)
	}
	// The status page answers and lists both nodes. (Whether it sees node
	// 0 down depends on timing: the in-process node's RPC server may still
	// answer on an open keep-alive connection for a while after Stop.)
	if code := navStatus(t, bctx, base+"/status"); code != 200 {
		t.Fatalf("status page: %d", code)
	}
	if nodes, err := text(bctx, "#nodes"); err != nil || !strings.Contains(nodes, tc.net.RPCAddress(0)) || !strings.Contains(nodes, tc.net.RPCAddress(1)) {
		t.Fatalf("status page: %q %v", nodes, err)
	}
	navStatus(t, bctx, base+"/")
	if err := tc.net.Start(0); err != nil {
		t.Fatal(err)
	}
	// Without navigating: the live page's height passes the halted one.
	deadline := time.Now().Add(90 * time.Second) // p2p reconnect backoff on a loaded machine
	for {
		now, _ := text(bctx, "#height")
		if digits(now) > digits(halted)+2 {
			t.Logf("height %s while node 0 was down, %s after its restart", halted, now)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("page height %s, halted at %s: no live update after the restart", now, halted)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// The JSON API agrees with the chain client.
	res, err := http.Get(base + "/api/chain")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("api: %v %v", res, err)
	}
	res.Body.Close()
}

// screenshots saves full-page PNGs of the main pages into dir: the chain,
// the subnets, subnet 0, the UIDs given, the status page and a 404.
func screenshots(t *testing.T, ctx context.Context, base, dir string, uids map[string]uint16) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{"chain": "/", "subnets": "/subnets", "subnet": "/subnet/0", "status": "/status", "notfound": "/subnet/0/uid/999"}
	for name, uid := range uids {
		pages[name] = fmt.Sprintf("/subnet/0/uid/%d", uid)
	}
	for name, p := range pages {
		navStatus(t, ctx, strings.TrimSuffix(base, "/")+p)
		time.Sleep(300 * time.Millisecond)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "explorer-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestScreenshots saves the docs' screenshots of a running explorer:
//
//	EXPLORER_SCREENSHOT_URL=http://127.0.0.1:18080/ EXPLORER_SCREENSHOTS=$PWD/docs/img \
//	  go test -run TestScreenshots ./internal/explorer
//
// EXPLORER_SCREENSHOT_UIDS names the UID pages to take, NAME=UID,... (for
// example honest=2,lazy=5).
func TestScreenshots(t *testing.T) {
	base, dir := os.Getenv("EXPLORER_SCREENSHOT_URL"), os.Getenv("EXPLORER_SCREENSHOTS")
	if base == "" || dir == "" {
		t.Skip("set EXPLORER_SCREENSHOT_URL and EXPLORER_SCREENSHOTS to take the docs' screenshots of a running explorer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bctx := browser(t, ctx)
	uids := map[string]uint16{}
	for _, kv := range strings.Split(os.Getenv("EXPLORER_SCREENSHOT_UIDS"), ",") {
		if name, v, ok := strings.Cut(kv, "="); ok {
			u, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				t.Fatal(err)
			}
			uids[name] = uint16(u)
		}
	}
	screenshots(t, bctx, base, dir, uids)
}
