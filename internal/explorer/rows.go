package explorer

import (
	"html"
	"html/template"
	"strconv"
	"strings"
)

// metagraphRows writes the metagraph table's body. It is Go rather than a
// template range because a full subnet has 4096 rows: this keeps the page
// within its 200 ms budget (BenchmarkMetagraphPage4096).
func metagraphRows(v MetagraphView) template.HTML {
	var b strings.Builder
	b.Grow(len(v.Neurons) * 900)
	id := strconv.Itoa(int(v.Subnet.ID))
	esc := html.EscapeString
	tick := func(ok bool) string {
		if ok {
			return "✓"
		}
		return "·"
	}
	for i := range v.Neurons {
		n := &v.Neurons[i]
		uid := strconv.Itoa(int(n.UID))
		model := n.ModelCommitment.String()
		b.WriteString(`<tr id="uid-` + uid + `" data-uid="` + uid + `"><td><a href="/subnet/` + id + `/uid/` + uid + `">` + uid + `</a></td>`)
		b.WriteString(`<td class="mono" title="` + n.Hotkey + `">` + short(n.Hotkey) + `</td><td><span class="tag ` + n.Role + `">` + n.Role + `</span></td>`)
		b.WriteString(`<td class="num stake">` + amount(n.Stake) + `</td><td>` + tick(n.Active) + `</td><td>` + tick(n.ValidatorPermit) + `</td>`)
		b.WriteString(`<td class="num">` + n.ConsensusStr + `</td><td class="num">` + n.TrustStr + `</td><td class="num">` + n.IncentiveStr +
			`</td><td class="num">` + n.DividendsStr + `</td><td class="num emission">` + amount(n.Emission) + `</td>`)
		switch {
		case n.ProofOK:
			b.WriteString(`<td class="proof"><span class="ok" title="proof for epoch ` + strconv.FormatUint(n.ProofEpoch, 10) + `">✓</span></td>`)
		case n.ValidatorPermit && !n.HasProof:
			b.WriteString(`<td class="proof"><span class="muted" title="a validator; validators do not prove">—</span></td>`)
		case n.HasProof:
			b.WriteString(`<td class="proof"><span class="bad" title="last proof epoch ` + strconv.FormatUint(n.ProofEpoch, 10) + `">✗</span></td>`)
		default:
			b.WriteString(`<td class="proof"><span class="bad" title="never proved">✗</span></td>`)
		}
		b.WriteString(`<td class="mono" title="` + model + `">` + short(model) + `</td><td class="mono">` + esc(n.Endpoint) +
			`</td><td>` + esc(n.Hardware) + "</td></tr>\n")
	}
	return template.HTML(b.String())
}
