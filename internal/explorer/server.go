package explorer

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

//go:embed assets
var assets embed.FS

// Link is a named URL the status page shows (a Prometheus endpoint).
type Link struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Options configure a Server.
type Options struct {
	Source Source
	// Refresh is how often pages poll for fresh data (default 3 s; the
	// pages say so).
	Refresh time.Duration
	// Poll is how often Run records every subnet's last epoch (default 2 s).
	Poll time.Duration
	// Metrics are Prometheus endpoints linked from the status page.
	Metrics []Link
	// RecentBlocks is how many blocks the chain page lists (default 20).
	RecentBlocks int
	Log          *slog.Logger
}

// Server is the explorer's HTTP handler.
type Server struct {
	o    Options
	hist *history
	tmpl map[string]*template.Template
	mux  *http.ServeMux
}

// New builds a Server over o.Source.
func New(o Options) (*Server, error) {
	if o.Source == nil {
		return nil, errors.New("explorer: no source")
	}
	if o.Refresh <= 0 {
		o.Refresh = 3 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.RecentBlocks <= 0 {
		o.RecentBlocks = 20
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, hist: newHistory(), tmpl: map[string]*template.Template{}, mux: http.NewServeMux()}
	funcs := template.FuncMap{"fx": fx, "amount": amount, "short": short, "pct": pct, "ago": ago,
		"sortLink": sortLink, "json": func(v any) string { b, _ := json.Marshal(v); return string(b) },
		"add64": func(a int64, b int) int64 { return a + int64(b) },
		"rows":  metagraphRows, "list": func(a ...string) []string { return a }}
	for _, page := range []string{"chain", "subnets", "subnet", "uid", "block", "tx", "status", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "assets/layout.html", "assets/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("explorer: template %s: %w", page, err)
		}
		s.tmpl[page] = t
	}
	static, _ := fs.Sub(assets, "assets/static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.route("/{$}", "chain", s.chainData)
	s.route("/subnets", "subnets", s.subnetsData)
	s.route("/subnet/{id}", "subnet", s.subnetData)
	s.route("/subnet/{id}/uid/{uid}", "uid", s.uidData)
	s.route("/block/{height}", "block", s.blockData)
	s.route("/tx/{hash}", "tx", s.txData)
	s.route("/status", "status", s.statusData)
	s.mux.HandleFunc("GET /api/subnet/{id}/weights", s.api(s.weightsData))
	s.mux.HandleFunc("GET /api/subnet/{id}/history", s.api(s.historyData))
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, true, errNotFound("no such API path")) })
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, false, errNotFound("no such page")) })
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "read-only explorer: GET only", http.StatusMethodNotAllowed)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// dataFn loads a page's data.
type dataFn func(r *http.Request) (any, error)

// route serves path as an HTML page and the same data as JSON under /api.
func (s *Server) route(path, page string, fn dataFn) {
	s.mux.HandleFunc("GET "+path, s.page(page, fn))
	api := "/api" + strings.TrimSuffix(path, "{$}")
	if path == "/{$}" {
		api = "/api/chain"
	}
	if page == "subnet" {
		s.mux.HandleFunc("GET /api/subnet/{id}", s.api(s.subnetInfoData))
		api = "/api/subnet/{id}/metagraph"
	}
	s.mux.HandleFunc("GET "+api, s.api(fn))
}

// httpError carries a status code.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errNotFound(msg string) error { return &httpError{http.StatusNotFound, msg} }

func notFoundf(f string, a ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(f, a...)}
}

// status maps an error to an HTTP status: unknown things are 404, an
// unreachable chain 503.
func status(err error) (int, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.code, he.msg
	case errors.Is(err, chain.ErrNotFound), errors.Is(err, chain.ErrSubnetNotFound), errors.Is(err, chain.ErrNeuronNotFound),
		errors.Is(err, chain.ErrMalformed):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, err.Error()
	}
	var te *chain.TxError
	if errors.As(err, &te) {
		return http.StatusNotFound, err.Error()
	}
	return http.StatusBadGateway, err.Error()
}

// ctx bounds one request's reads.
func reqCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 10*time.Second)
}

func (s *Server) api(fn dataFn) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r)
		if err != nil {
			s.fail(w, r, true, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		if r.URL.Query().Has("pretty") {
			enc.SetIndent("", "  ")
		}
		_ = enc.Encode(v)
	}
}

// pageData is what every template gets.
type pageData struct {
	Title   string
	Page    string
	Path    string
	Refresh int64
	Data    any
	Code    int
	Error   string
	Charts  map[string]template.HTML
}

func (s *Server) page(name string, fn dataFn) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r)
		if err != nil {
			s.fail(w, r, false, err)
			return
		}
		pd := &pageData{Page: name, Path: r.URL.RequestURI(), Refresh: s.o.Refresh.Milliseconds(), Data: v}
		if c, ok := v.(charted); ok {
			pd.Charts = c.charts()
		}
		s.render(w, name, http.StatusOK, pd)
	}
}

func (s *Server) render(w http.ResponseWriter, name string, code int, pd *pageData) {
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	if err := s.tmpl[name].Execute(&buf, pd); err != nil {
		s.o.Log.Error("explorer: render", "page", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, api bool, err error) {
	code, msg := status(err)
	if api {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "code": code})
		return
	}
	pd := &pageData{Page: "error", Path: r.URL.RequestURI(), Code: code, Error: msg, Title: http.StatusText(code)}
	if code == http.StatusServiceUnavailable || code == http.StatusBadGateway {
		pd.Refresh = s.o.Refresh.Milliseconds() // retry until a node answers
	}
	s.render(w, "error", code, pd)
}

// Run records every subnet's last epoch each Poll interval until ctx ends,
// so the history charts fill even when nobody is looking.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	for {
		s.pollOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) pollOnce(ctx context.Context) {
	all, err := s.o.Source.Subnets(ctx)
	if err != nil {
		return
	}
	for _, sn := range all.Subnets {
		if s.hist.needsBackfill(sn.ID) {
			if past, err := s.o.Source.EpochHistory(ctx, sn.ID, maxBackfill); err == nil {
				for _, r := range past {
					s.hist.add(r)
				}
				s.hist.backfilledOK(sn.ID)
			}
		}
		if rec, err := s.o.Source.Emissions(ctx, sn.ID); err == nil {
			s.hist.addFull(rec)
		}
	}
}

// Serve serves s on ln until ctx ends, polling history meanwhile.
func Serve(ctx context.Context, ln net.Listener, s *Server) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.Run(ctx)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ---- page data ----

// ChainView is the chain page.
type ChainView struct {
	Status     ChainStatus       `json:"status"`
	Tokenomics *chain.Tokenomics `json:"tokenomics,omitempty"`
	Blocks     []BlockMeta       `json:"blocks"`
	Txs        []TxView          `json:"txs"`
	Subnets    []SubnetView      `json:"subnets"`
}

func (s *Server) chainData(r *http.Request) (any, error) {
	ctx, cancel := reqCtx(r)
	defer cancel()
	st, err := s.o.Source.Status(ctx)
	if err != nil {
		return nil, err
	}
	v := ChainView{Status: st, Blocks: []BlockMeta{}, Txs: []TxView{}, Subnets: []SubnetView{}}
	if tk, err := s.o.Source.Tokenomics(ctx); err == nil {
		v.Tokenomics = &tk
	}
	minH := max(1, st.Height-int64(s.o.RecentBlocks)+1)
	if bs, err := s.o.Source.Blocks(ctx, minH, st.Height); err == nil {
		v.Blocks = bs
		if len(bs) >= 2 {
			span := bs[0].Time.Sub(bs[len(bs)-1].Time).Seconds()
			v.Status.AvgInterval = span / float64(bs[0].Height-bs[len(bs)-1].Height)
		}
	}
	for _, m := range v.Blocks {
		if m.NumTxs == 0 || len(v.Txs) >= 25 {
			continue
		}
		if b, err := s.o.Source.Block(ctx, m.Height); err == nil {
			v.Txs = append(v.Txs, b.Txs...)
		}
	}
	if all, err := s.o.Source.Subnets(ctx); err == nil {
		t := totalShares(all)
		for _, sn := range all.Subnets {
			v.Subnets = append(v.Subnets, subnetView(sn, t))
		}
	}
	return v, nil
}

// SubnetsView is the subnets page.
type SubnetsView struct {
	Subnets        []SubnetView `json:"subnets"`
	NextCreateBurn uint64       `json:"next_create_burn"`
}

func (s *Server) subnetsData(r *http.Request) (any, error) {
	ctx, cancel := reqCtx(r)
	defer cancel()
	all, err := s.o.Source.Subnets(ctx)
	if err != nil {
		return nil, err
	}
	v := SubnetsView{Subnets: []SubnetView{}, NextCreateBurn: all.NextCreateBurn}
	t := totalShares(all)
	for _, sn := range all.Subnets {
		v.Subnets = append(v.Subnets, subnetView(sn, t))
	}
	return v, nil
}

func subnetID(r *http.Request) (uint16, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 16)
	if err != nil {
		return 0, notFoundf("subnet %q is not a subnet ID", r.PathValue("id"))
	}
	return uint16(id), nil
}

func (s *Server) subnetInfoData(r *http.Request) (any, error) {
	id, err := subnetID(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := reqCtx(r)
	defer cancel()
	si, err := s.o.Source.Subnet(ctx, id)
	if err != nil {
		return nil, err
	}
	all, _ := s.o.Source.Subnets(ctx)
	return subnetView(si, totalShares(all)), nil
}

// SubnetPage is the subnet page: its metagraph, weights and history.
type SubnetPage struct {
	MetagraphView
	Weights chain.WeightsInfo    `json:"-"`
	History []EpochHistoryRecord `json:"-"`
}

func (p *SubnetPage) charts() map[string]template.HTML {
	return map[string]template.HTML{"emission": emissionChart(p.History), "scatter": scatterChart(p.Neurons),
		"heatmap": heatmap(p.Weights)}
}

// charted pages carry SVG charts.
type charted interface {
	charts() map[string]template.HTML
}

// metagraph loads subnet id's metagraph view, recording its last epoch.
func (s *Server) metagraph(ctx context.Context, id uint16) (MetagraphView, error) {
	mg, err := s.o.Source.Metagraph(ctx, id)
	if err != nil {
		return MetagraphView{}, err
	}
	var recp *chain.EpochRecord
	if rec, err := s.o.Source.Emissions(ctx, id); err == nil {
		s.hist.addFull(rec)
		recp = &rec
	} else if !errors.Is(err, chain.ErrNotFound) {
		return MetagraphView{}, err
	}
	all, _ := s.o.Source.Subnets(ctx)
	return metagraphView(mg, recp, totalShares(all)), nil
}

func (s *Server) subnetData(r *http.Request) (any, error) {
	id, err := subnetID(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := reqCtx(r)
	defer cancel()
	v, err := s.metagraph(ctx, id)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	v.Sort, v.Desc = sortRows(v.Neurons, q.Get("sort"), q.Get("dir") == "desc")
	p := &SubnetPage{MetagraphView: v, History: s.hist.get(id)}
	if wi, err := s.o.Source.Weights(ctx, id); err == nil {
		p.Weights = wi
	}
	return p, nil
}

// UIDPage is the per-UID page.
type UIDPage struct {
	UIDView
}

func (p *UIDPage) charts() map[string]template.HTML {
	return map[string]template.HTML{"emission": uidChart(p.History)}
}

func (s *Server) uidData(r *http.Request) (any, error) {
	id, err := subnetID(r)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(r.PathValue("uid"), 10, 16)
	if err != nil {
		return nil, notFoundf("uid %q is not a UID", r.PathValue("uid"))
	}
	ctx, cancel := reqCtx(r)
	defer cancel()
	v, err := s.metagraph(ctx, id)
	if err != nil {
		return nil, err
	}
	var row *UIDRow
	for i := range v.Neurons {
		if v.Neurons[i].UID == uint16(uid) {
			row = &v.Neurons[i]
		}
	}
	if row == nil {
		return nil, errNotFound(fmt.Sprintf("subnet %d has no uid %d", id, uid))
	}
	hk, _ := chain.ParseAddress(row.Hotkey)
	p := &UIDPage{UIDView{Subnet: v.Subnet, Epoch: v.Epoch, Neuron: *row, History: uidHistory(s.hist.get(id), uint16(uid), hk)}}
	if wi, err := s.o.Source.Weights(ctx, id); err == nil {
		p.Set, p.Received = weightEdges(wi, uint16(uid))
	} else {
		p.Set, p.Received = []WeightEdge{}, []WeightEdge{}
	}
	return p, nil
}

func (s *Server) weightsData(r *http.Request) (any, error) {
	id, err := subnetID(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := reqCtx(r)
	defer cancel()
	return s.o.Source.Weights(ctx, id)
}

func (s *Server) historyData(r *http.Request) (any, error) {
	id, err := subnetID(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := reqCtx(r)
	defer cancel()
	if _, err := s.metagraph(ctx, id); err != nil {
		return nil, err
	}
	return map[string]any{"subnet": id, "epochs": s.hist.get(id)}, nil
}

func (s *Server) blockData(r *http.Request) (any, error) {
	h, err := strconv.ParseInt(r.PathValue("height"), 10, 64)
	if err != nil || h < 1 {
		return nil, notFoundf("block %q is not a height", r.PathValue("height"))
	}
	ctx, cancel := reqCtx(r)
	defer cancel()
	st, err := s.o.Source.Status(ctx)
	if err != nil {
		return nil, err
	}
	if h > st.Height {
		return nil, errNotFound(fmt.Sprintf("block %d is above the chain's height %d", h, st.Height))
	}
	return s.o.Source.Block(ctx, h)
}

// TxPage is one transaction with its block's decoding of it.
type TxPage struct {
	Info *client.TxInfo `json:"info"`
	Tx   *TxView        `json:"tx,omitempty"`
}

func (s *Server) txData(r *http.Request) (any, error) {
	hash, err := client.ParseHash(r.PathValue("hash"))
	if err != nil {
		return nil, notFoundf("%q is not a transaction hash", r.PathValue("hash"))
	}
	ctx, cancel := reqCtx(r)
	defer cancel()
	info, err := s.o.Source.Tx(ctx, hash)
	if err != nil {
		return nil, err
	}
	p := &TxPage{Info: info}
	if b, err := s.o.Source.Block(ctx, info.Height); err == nil && int(info.Index) < len(b.Txs) {
		p.Tx = &b.Txs[info.Index]
	}
	return p, nil
}

// StatusView is the status page: the nodes and the metrics endpoints.
type StatusView struct {
	Nodes   []NodeHealth `json:"nodes"`
	Metrics []Link       `json:"metrics"`
	Height  int64        `json:"height"`
	Error   string       `json:"error,omitempty"`
}

func (s *Server) statusData(r *http.Request) (any, error) {
	ctx, cancel := reqCtx(r)
	defer cancel()
	v := StatusView{Metrics: s.o.Metrics}
	if v.Metrics == nil {
		v.Metrics = []Link{}
	}
	// The status page answers even when no node does: that is its point.
	if st, err := s.o.Source.Status(ctx); err == nil {
		v.Height = st.Height
	} else {
		v.Error = err.Error()
	}
	if pr, ok := s.o.Source.(interface{ Probe(context.Context) }); ok {
		pr.Probe(ctx)
	}
	v.Nodes = s.o.Source.Nodes()
	return v, nil
}

// ---- template helpers ----

// amount writes n with thousands separators.
func amount(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// short cuts a long hex string to its head and tail.
func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) <= 14 {
		return s
	}
	return s[:8] + "…" + s[len(s)-4:]
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String() + " ago"
}

// sortLink is the metagraph link that sorts by key (toggling the direction
// when already sorted by it).
func sortLink(v MetagraphView, key string) string {
	dir := "desc"
	if v.Sort == key && v.Desc {
		dir = "asc"
	}
	return fmt.Sprintf("/subnet/%d?sort=%s&dir=%s#metagraph", v.Subnet.ID, key, dir)
}
