package chaos

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText prints the report as a table for people.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "chaos: %d nodes, seed %d, block time %s, timeout_propose %s, %s of faults, final height %d\n\n",
		r.Nodes, r.Seed, r.BlockTime, r.TimeoutPropose, r.FaultTime, r.FinalHeight)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fault\tcount\trecover p50 s\trecover max s\ttxs acked\ttxs lost\tapp-hash splits\tcommitted tx/s held\t")
	for _, f := range r.Faults {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%d\t%d\t%d\t%.1f\t\n", f.Fault, f.Count, f.RecoverP50, f.RecoverMax, f.Acked, f.Lost, f.Splits, f.TPS)
	}
	fmt.Fprintf(tw, "total\t%d\t\t\t%d\t%d\t%d\t\t\n", len(r.Schedule), r.TxsAcked, r.TxsLost, r.AppHashSplits)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nload: offered %.0f transfers/s open-loop, %d senders x %d in flight; %d offered transfers shed (every pipeline full)\n", r.OfferedRate, r.Senders, r.Depth, r.TxsShed)
	fmt.Fprintf(w, "transfers sent %d, acknowledged %d, lost %d; heights 1..%d compared on every node; %d tx-index gaps\n", r.TxsSent, r.TxsAcked, r.TxsLost, r.HeightsChecked, r.IndexGaps)
	fmt.Fprintf(w, "throughput (committed tx/s by block time): fault-free %.1f tx/s, minority down %.1f tx/s (%.0f%%)\n", r.BaselineTPS, r.MinorityTPS, 100*r.ThroughputRatio)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "FAIL %s\n", f)
	}
	if r.Dir != "" {
		fmt.Fprintf(w, "homes and logs: %s\n", r.Dir)
	}
	if r.Pass {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintf(w, "FAIL: %d checks failed\n", len(r.Failures))
	}
	return nil
}
