package explorer

import (
	"cmp"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"

	"github.com/veritensor/veritensor/chain"
)

// Charts are drawn here as SVG, on the server: no script library, no CDN.

// palette is colour-blind friendly (Okabe-Ito, then greys).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

const otherColor = "#b8bec6"

type svgBuf struct{ strings.Builder }

func (b *svgBuf) f(format string, a ...any) { fmt.Fprintf(&b.Builder, format, a...) }

func (b *svgBuf) open(w, h int, label string) {
	b.f(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h, w, h, html.EscapeString(label))
}

func (b *svgBuf) html() template.HTML { b.f(`</svg>`); return template.HTML(b.String()) }

func emptyChart(label, why string) template.HTML {
	var b svgBuf
	b.open(640, 60, label)
	b.f(`<text x="320" y="34" text-anchor="middle" class="muted">%s</text>`, html.EscapeString(why))
	return b.html()
}

// emissionChart stacks each epoch's emission by UID: the top UIDs by total
// emission get a colour each, the rest are "other".
func emissionChart(recs []EpochHistoryRecord) template.HTML {
	const label = "emission per epoch per UID"
	if len(recs) == 0 {
		return emptyChart(label, "no epoch recorded yet: the chart fills as epochs close")
	}
	if len(recs) > 48 {
		recs = recs[len(recs)-48:]
	}
	totals := map[uint16]uint64{}
	var peak uint64
	for _, r := range recs {
		var s uint64
		for _, n := range r.Neurons {
			totals[n.UID] += n.Emission
			s += n.Emission
		}
		peak = max(peak, s)
	}
	top := make([]uint16, 0, len(totals))
	for u, t := range totals {
		if t > 0 {
			top = append(top, u)
		}
	}
	slices.SortFunc(top, func(a, b uint16) int {
		if c := cmp.Compare(totals[b], totals[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if len(top) > len(palette) {
		top = top[:len(palette)]
	}
	color := map[uint16]string{}
	for i, u := range top {
		color[u] = palette[i]
	}
	const W, H, left, bottom, topPad = 1100, 260, 64, 28, 12
	plotW, plotH := W-left-130, H-bottom-topPad
	var b svgBuf
	b.open(W, H, label)
	axes(&b, left, topPad, plotW, plotH, peak)
	if peak == 0 {
		peak = 1
	}
	bw := min(plotW/len(recs), 56)
	for i, r := range recs {
		x := left + i*bw
		y := float64(topPad + plotH)
		var other uint64
		bar := func(v uint64, col, title string) {
			h := float64(v) * float64(plotH) / float64(peak)
			y -= h
			b.f(`<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s</title></rect>`, x+1, y, max(bw-2, 1), h, col, html.EscapeString(title))
		}
		for _, u := range top {
			for _, n := range r.Neurons {
				if n.UID == u && n.Emission > 0 {
					bar(n.Emission, color[u], fmt.Sprintf("epoch %d uid %d: %d", r.Epoch, u, n.Emission))
				}
			}
		}
		for _, n := range r.Neurons {
			if _, ok := color[n.UID]; !ok {
				other += n.Emission
			}
		}
		if other > 0 {
			bar(other, otherColor, fmt.Sprintf("epoch %d other UIDs: %d", r.Epoch, other))
		}
		if len(recs) <= 16 || i%(len(recs)/8+1) == 0 {
			b.f(`<text x="%d" y="%d" text-anchor="middle" class="tick">%d</text>`, x+bw/2, H-10, r.Epoch)
		}
	}
	for i, u := range top {
		b.f(`<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="tick">uid %d</text>`,
			W-120, topPad+i*16, color[u], W-105, topPad+i*16+9, u)
	}
	if len(totals) > len(top) {
		b.f(`<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="tick">other</text>`,
			W-120, topPad+len(top)*16, otherColor, W-105, topPad+len(top)*16+9)
	}
	return b.html()
}

func axes(b *svgBuf, left, top, w, h int, peak uint64) {
	b.f(`<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, left, top+h, left+w, top+h)
	b.f(`<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, left, top, left, top+h)
	b.f(`<text x="%d" y="%d" text-anchor="end" class="tick">%s</text>`, left-6, top+8, compact(peak))
	b.f(`<text x="%d" y="%d" text-anchor="end" class="tick">0</text>`, left-6, top+h)
}

// compact writes n with a k/M/G suffix.
func compact(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fG", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// uidChart draws one UID's emission per recorded epoch, with a ✓ or ✗ for
// its proof under each bar.
func uidChart(pts []EpochPoint) template.HTML {
	const label = "emission per epoch"
	if len(pts) == 0 {
		return emptyChart(label, "no epoch recorded for this UID yet")
	}
	if len(pts) > 48 {
		pts = pts[len(pts)-48:]
	}
	var peak uint64
	for _, p := range pts {
		peak = max(peak, p.Emission)
	}
	const W, H, left, bottom, topPad = 1000, 220, 64, 40, 12
	plotW, plotH := W-left-16, H-bottom-topPad
	var b svgBuf
	b.open(W, H, label)
	axes(&b, left, topPad, plotW, plotH, peak)
	if peak == 0 {
		peak = 1
	}
	bw := min(plotW/len(pts), 56)
	for i, p := range pts {
		x := left + i*bw
		h := float64(p.Emission) * float64(plotH) / float64(peak)
		b.f(`<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>epoch %d: %d</title></rect>`,
			x+1, float64(topPad+plotH)-h, max(bw-2, 1), h, palette[0], p.Epoch, p.Emission)
		mark, cls := "✗", "bad"
		switch {
		case !p.ProofKnown:
			mark, cls = "?", ""
		case p.ProofOK:
			mark, cls = "✓", "ok"
		}
		b.f(`<text x="%d" y="%d" text-anchor="middle" class="tick %s">%s</text>`, x+bw/2, H-24, cls, mark)
		if len(pts) <= 16 || i%(len(pts)/8+1) == 0 {
			b.f(`<text x="%d" y="%d" text-anchor="middle" class="tick">%d</text>`, x+bw/2, H-8, p.Epoch)
		}
	}
	return b.html()
}

// scatterChart plots each UID's incentive against its consensus (the chain
// has no accuracy: validators keep that off chain).
func scatterChart(rows []UIDRow) template.HTML {
	const label = "incentive vs consensus"
	const W, H, left, bottom, topPad = 520, 300, 56, 32, 12
	plotW, plotH := W-left-12, H-bottom-topPad
	var b svgBuf
	b.open(W, H, label)
	b.f(`<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, left, topPad+plotH, left+plotW, topPad+plotH)
	b.f(`<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, left, topPad, left, topPad+plotH)
	b.f(`<text x="%d" y="%d" text-anchor="middle" class="tick">consensus →</text>`, left+plotW/2, H-6)
	b.f(`<text x="12" y="%d" class="tick" transform="rotate(-90 12 %d)" text-anchor="middle">incentive →</text>`, topPad+plotH/2, topPad+plotH/2)
	var mx, my uint64 = 1, 1
	for _, r := range rows {
		mx, my = max(mx, r.Consensus), max(my, r.Incentive)
	}
	b.f(`<text x="%d" y="%d" text-anchor="end" class="tick">%s</text>`, left-4, topPad+8, fx(my))
	b.f(`<text x="%d" y="%d" text-anchor="end" class="tick">%s</text>`, left+plotW, H-18, fx(mx))
	for i, r := range rows {
		if i >= 4096 {
			break
		}
		x := float64(left) + float64(r.Consensus)*float64(plotW)/float64(mx)
		y := float64(topPad+plotH) - float64(r.Incentive)*float64(plotH)/float64(my)
		col := palette[0]
		if !r.ProofOK {
			col = palette[3]
		}
		b.f(`<circle cx="%.1f" cy="%.1f" r="4" fill="%s" fill-opacity="0.75"><title>uid %d: consensus %s incentive %s</title></circle>`,
			x, y, col, r.UID, r.ConsensusStr, r.IncentiveStr)
	}
	return b.html()
}

// maxHeatCols bounds the heatmap's columns (the UIDs that receive the most
// weight).
const maxHeatCols = 64

// heatmap draws the weight matrix: a row per validator that set weights, a
// column per UID that received weight, darker for more of the row.
func heatmap(wi chain.WeightsInfo) template.HTML {
	const label = "weights heatmap"
	rows := wi.Rows
	if len(rows) == 0 {
		return emptyChart(label, "no weights set yet")
	}
	if len(rows) > 64 {
		rows = rows[:64]
	}
	// Slices indexed by UID rather than maps: a full subnet's rows hold
	// ~250k weights.
	maxUID := 0
	for _, r := range rows {
		for _, w := range r.Weights {
			maxUID = max(maxUID, int(w.UID))
		}
	}
	recv := make([]uint64, maxUID+1)
	got := make([]bool, maxUID+1)
	sums := make([]uint64, len(rows))
	for j, r := range rows {
		sums[j] = rowSum(r.Weights)
		for _, w := range r.Weights {
			recv[w.UID] += ppm(w.Value, sums[j])
			got[w.UID] = true
		}
	}
	cols := make([]uint16, 0, 64)
	for u, ok := range got {
		if ok {
			cols = append(cols, uint16(u))
		}
	}
	slices.SortStableFunc(cols, func(a, b uint16) int { return cmp.Compare(recv[b], recv[a]) })
	if len(cols) > maxHeatCols {
		cols = cols[:maxHeatCols]
	}
	slices.Sort(cols)
	colIdx := make([]int, maxUID+1)
	for i := range colIdx {
		colIdx[i] = -1
	}
	for i, u := range cols {
		colIdx[u] = i
	}
	cell := max(8, min(36, 560/max(len(cols), 1)))
	left, top := 56, 40
	W, H := left+cell*len(cols)+12, top+cell*len(rows)+12
	var b svgBuf
	b.open(W, H, label)
	b.f(`<text x="%d" y="14" class="tick">validator ↓ / UID →</text>`, 4)
	for i, u := range cols {
		if cell >= 14 || i%2 == 0 {
			b.f(`<text x="%d" y="%d" text-anchor="middle" class="tick">%d</text>`, left+i*cell+cell/2, top-6, u)
		}
	}
	for j, r := range rows {
		y := top + j*cell
		b.f(`<text x="%d" y="%d" text-anchor="end" class="tick">uid %d</text>`, left-4, y+cell/2+4, r.UID)
		for _, w := range r.Weights {
			i := colIdx[w.UID]
			if i < 0 {
				continue
			}
			p := ppm(w.Value, sums[j])
			op := 0.08 + 0.92*float64(p)/1e6
			b.f(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s" fill-opacity="%.2f"><title>uid %d → uid %d: %d (%s)</title></rect>`,
				left+i*cell, y, cell-1, cell-1, palette[0], op, r.UID, w.UID, w.Value, pct(p))
		}
	}
	return b.html()
}

// pct writes parts per million as a percentage.
func pct(ppm uint64) string { return fmt.Sprintf("%d.%02d%%", ppm/10_000, ppm%10_000/100) }
