package explorer

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/veritensor/veritensor/chain"
)

func newTestServer(t testing.TB, f *fakeSource) *httptest.Server {
	t.Helper()
	s, err := New(Options{Source: f, Metrics: []Link{{Name: "node0", URL: "http://127.0.0.1:26660/metrics"}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

// The JSON API answers every page's data, with the chain's values.
func TestAPIMetagraph(t *testing.T) {
	f := newFake(8, 2)
	ts := newTestServer(t, f)
	code, ct, body := get(t, ts.URL+"/api/subnet/1/metagraph?sort=stake&dir=desc")
	if code != 200 || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%d %s %s", code, ct, body)
	}
	var v MetagraphView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Neurons) != 8 || v.Sort != "stake" || !v.Desc || v.Neurons[0].UID != 1 || v.Neurons[0].Stake != 2_000_000_000 {
		t.Fatalf("sorted metagraph: %+v", v.Neurons[:2])
	}
	byUID := map[uint16]UIDRow{}
	for _, r := range v.Neurons {
		byUID[r.UID] = r
	}
	if r := byUID[3]; r.ProofOK || r.Emission != 0 || r.Role != "miner" {
		t.Fatalf("uid 3 (no proof): %+v", r)
	}
	if r := byUID[2]; !r.ProofOK || r.Emission == 0 || !r.Active || r.ConsensusStr == "" {
		t.Fatalf("uid 2 (proved): %+v", r)
	}
	if r := byUID[0]; r.Role != "validator" || !r.ValidatorPermit || r.TrustStr != "1.0000" {
		t.Fatalf("uid 0 (validator): %+v", r)
	}
	if v.LastEpoch == nil || v.LastEpoch.Epoch != 6 || v.LastEpoch.Neurons != nil || v.Subnet.EmissionSharePPM != 1_000_000 {
		t.Fatalf("last epoch %+v share %d", v.LastEpoch, v.Subnet.EmissionSharePPM)
	}
	if v.Subnet.Setup.Kind != "ceremony" || v.Subnet.Setup.Ceremony != v.Subnet.Task.Ceremony || v.Subnet.Setup.ID != v.Subnet.Task.VKHash {
		t.Fatalf("setup %+v", v.Subnet.Setup)
	}
}

func TestAPIUIDAndHistory(t *testing.T) {
	f := newFake(8, 2)
	ts := newTestServer(t, f)
	code, _, body := get(t, ts.URL+"/api/subnet/1/uid/4")
	if code != 200 {
		t.Fatal(code, body)
	}
	var u UIDView
	if err := json.Unmarshal([]byte(body), &u); err != nil {
		t.Fatal(err)
	}
	// Two validators each set weight on uid 4; it set none.
	if u.Neuron.UID != 4 || len(u.Received) != 2 || len(u.Set) != 0 || len(u.History) != 1 || !u.History[0].ProofOK {
		t.Fatalf("uid 4: %+v", u)
	}
	code, _, body = get(t, ts.URL+"/api/subnet/1/uid/0")
	if err := json.Unmarshal([]byte(body), &u); err != nil || code != 200 || len(u.Set) != 6 {
		t.Fatalf("uid 0: %d %+v %v", code, u.Set, err)
	}
	// A second epoch recorded: history has both, oldest first.
	f.rec.Epoch, f.rec.Block = 7, 79
	code, _, body = get(t, ts.URL+"/api/subnet/1/history")
	var h struct {
		Epochs []chain.EpochRecord `json:"epochs"`
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != 200 || len(h.Epochs) != 2 || h.Epochs[0].Epoch != 6 {
		t.Fatalf("history: %d %v %s", code, err, body)
	}
	for _, p := range []string{"/api/chain", "/api/subnets", "/api/subnet/1", "/api/subnet/1/weights", "/api/status", "/api/block/3"} {
		if code, ct, body := get(t, ts.URL+p); code != 200 || !strings.HasPrefix(ct, "application/json") || !json.Valid([]byte(body)) {
			t.Fatalf("%s: %d %s %s", p, code, ct, body)
		}
	}
}

// Bad URLs get a clean 404: an HTML page for pages, a JSON error for the
// API; an unreachable chain is a 503, and the status page still answers.
func TestNotFoundAndUnavailable(t *testing.T) {
	f := newFake(4, 1)
	ts := newTestServer(t, f)
	for _, p := range []string{"/nope", "/subnet/x", "/subnet/70000", "/subnet/2", "/subnet/1/uid/9", "/subnet/1/uid/-1",
		"/block/0", "/block/999", "/tx/zz", "/tx/" + strings.Repeat("AB", 32), "/static/nope.css", "/subnet/1/extra/path"} {
		code, ct, body := get(t, ts.URL+p)
		if code != 404 || !strings.HasPrefix(ct, "text/") {
			t.Errorf("%s: %d %s", p, code, ct)
		}
		if strings.HasPrefix(ct, "text/html") && !strings.Contains(body, "404") {
			t.Errorf("%s: no 404 in the page", p)
		}
	}
	for _, p := range []string{"/api/nope", "/api/subnet/2/metagraph", "/api/subnet/1/uid/9"} {
		code, ct, body := get(t, ts.URL+p)
		var e struct{ Error string }
		if code != 404 || ct != "application/json" || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
			t.Errorf("%s: %d %s %s", p, code, ct, body)
		}
	}
	if res, err := http.Post(ts.URL+"/api/chain", "text/plain", nil); err != nil || res.StatusCode != 405 {
		t.Fatalf("POST: %v %v", res, err)
	}
	f.down = true
	if code, _, body := get(t, ts.URL+"/subnet/1"); code != 503 || !strings.Contains(body, "no node reachable") {
		t.Fatalf("down: %d", code)
	}
	if code, _, body := get(t, ts.URL+"/status"); code != 200 || !strings.Contains(body, "http://127.0.0.1:26660/metrics") {
		t.Fatalf("status while down: %d %s", code, body)
	}
}

// The pages render the table, the charts and the sort links.
func TestPages(t *testing.T) {
	ts := newTestServer(t, newFake(12, 2))
	code, _, body := get(t, ts.URL+"/subnet/1?sort=emission&dir=desc")
	if code != 200 {
		t.Fatal(code, body)
	}
	for _, want := range []string{`id="uid-3"`, `<svg`, `chart-heatmap`, `/subnet/1?sort=emission&amp;dir=asc#metagraph`, `class="sorted desc"`} {
		if !strings.Contains(body, want) {
			t.Errorf("subnet page lacks %q", want)
		}
	}
	for _, p := range []string{"/", "/subnets", "/subnet/1/uid/2", "/block/5", "/status", "/static/style.css", "/static/app.js"} {
		if code, _, body := get(t, ts.URL+p); code != 200 || len(body) < 100 {
			t.Errorf("%s: %d", p, code)
		}
	}
}

func TestDecodeTx(t *testing.T) {
	if v := DecodeTx([]byte{1, 2, 3}); v.Type != "undecodable" || v.Log == "" {
		t.Fatalf("%+v", v)
	}
}

// Past epochs are read back once from block events (partial records); a
// full record of the same epoch wins, and partial epochs show "?" proofs.
func TestBackfill(t *testing.T) {
	f := newFake(8, 2)
	s, err := New(Options{Source: f})
	if err != nil {
		t.Fatal(err)
	}
	s.pollOnce(context.Background())
	h := s.hist.get(1)
	if len(h) != 2 || h[0].Epoch != 5 || !h[0].Partial || h[1].Epoch != 6 || h[1].Partial {
		t.Fatalf("history %+v", h)
	}
	s.hist.add(EpochHistoryRecord{EpochRecord: chain.EpochRecord{Subnet: 1, Epoch: 6}, Partial: true})
	if h := s.hist.get(1); h[1].Partial || len(h[1].Neurons) != 8 {
		t.Fatal("a partial record replaced a full one")
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/subnet/1/uid/2", nil))
	var u UIDView
	if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil || len(u.History) != 2 || u.History[0].ProofKnown || !u.History[1].ProofKnown {
		t.Fatalf("uid history %+v %v", u.History, err)
	}
}

func TestEpochFromEvents(t *testing.T) {
	hk := fakeAddr(3)
	evs := []abci.Event{
		{Type: "epoch", Attributes: []abci.EventAttribute{{Key: "subnet", Value: "2"}, {Key: "epoch", Value: "9"}, {Key: "block", Value: "90"},
			{Key: "emission", Value: "1000"}, {Key: "owner_emission", Value: "180"}, {Key: "unminted", Value: "20"}, {Key: "proofs", Value: "1"}}},
		{Type: "emission", Attributes: []abci.EventAttribute{{Key: "subnet", Value: "2"}, {Key: "uid", Value: "3"}, {Key: "hotkey", Value: hk.String()},
			{Key: "miner", Value: "500"}, {Key: "validator", Value: "300"}}},
		{Type: "emission", Attributes: []abci.EventAttribute{{Key: "subnet", Value: "1"}, {Key: "uid", Value: "4"}, {Key: "hotkey", Value: hk.String()}}},
		{Type: "emission", Attributes: []abci.EventAttribute{{Key: "subnet", Value: "2"}, {Key: "uid", Value: "x"}}},
	}
	rec, ok := epochFromEvents(evs, 2)
	if !ok || rec.Epoch != 9 || rec.Block != 90 || rec.Emission != 1000 || rec.Proofs != 1 || len(rec.Neurons) != 1 ||
		rec.Neurons[0].Emission != 800 || rec.Neurons[0].Hotkey != hk {
		t.Fatalf("%+v %v", rec, ok)
	}
	if _, ok := epochFromEvents(evs, 7); ok {
		t.Fatal("found an epoch of another subnet")
	}
}
