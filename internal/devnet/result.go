package devnet

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/validator"
)

// Result is what a devnet run reports (`veritensor devnet -o json`).
type Result struct {
	ChainID string `json:"chain_id"`
	Subnet  uint16 `json:"subnet"`
	// Ceremony is the subnet's setup ceremony (nil if it could not be read).
	Ceremony *CeremonySummary `json:"ceremony,omitempty"`
	Arch     string           `json:"arch"`
	Tempo    uint64           `json:"tempo"`
	Nodes    int              `json:"nodes"`
	// Batch is the batch size of the validators' challenges (0: single
	// proofs, one request per challenge); Graded and Decoys are each
	// validator's challenges per miner per tempo.
	Batch  int `json:"batch"`
	Graded int `json:"graded"`
	// Scheme is the proven subnet's proof scheme ("hash" or "commit").
	Scheme string `json:"scheme"`
	Decoys int    `json:"decoys"`
	// Height is the final height at which every node's app hash was compared.
	Height int64 `json:"height"`
	// AppHashesAgree: every node reported the same app hash at every height
	// from StartHeight to Height; AppHashes are the hashes at Height.
	AppHashesAgree bool     `json:"app_hashes_agree"`
	AppHashes      []string `json:"app_hashes"`
	StartHeight    int64    `json:"start_height"`
	// Epochs is the number of epochs this run saw close; PaidEpochs those
	// that paid miners from revealed weights; FirstEpoch and LastEpoch
	// bound them.
	Epochs     int    `json:"epochs"`
	PaidEpochs int    `json:"paid_epochs"`
	FirstEpoch uint64 `json:"first_epoch"`
	LastEpoch  uint64 `json:"last_epoch"`
	// Miners and Validators are by UID.
	Miners     []MinerResult     `json:"miners"`
	Validators []ValidatorResult `json:"validators"`
	// Tokenomics at Height; SupplyConserved: supply = genesis + minted -
	// burned on every node.
	Tokenomics      chain.Tokenomics `json:"tokenomics"`
	GenesisSupply   uint64           `json:"genesis_supply"`
	SupplyConserved bool             `json:"supply_conserved"`
	// GoodAccuracy and WeakAccuracy are the models' accuracies on the full
	// MNIST test set, for comparison with what validators measured.
	GoodAccuracy float64 `json:"good_model_accuracy"`
	WeakAccuracy float64 `json:"weak_model_accuracy"`
	// Resumed: the home held a devnet already.
	Resumed bool `json:"resumed"`
	// Seconds is the run's wall time, setup included.
	Seconds float64 `json:"seconds"`
	// Proofless is the proof-less subnet run next to the proven one
	// (Options.ProoflessSubnet), nil without one.
	Proofless *SubnetResult `json:"proofless,omitempty"`
}

// MinerResult is one miner over the run.
type MinerResult struct {
	UID      uint16   `json:"uid"`
	Behavior Behavior `json:"behavior"`
	// Accuracy = Correct/Graded over every validator's graded challenges
	// in this run (a wrong or unproven answer is not correct); null when no
	// graded challenge was sent.
	Accuracy *float64 `json:"accuracy"`
	Graded   int      `json:"graded"`
	Correct  int      `json:"correct"`
	// ProofsValid and ProofsInvalid count the validators' challenges whose
	// answer carried a valid or an invalid (or missing) proof; Failed the
	// ones that got no answer.
	ProofsValid   int `json:"proofs_valid"`
	ProofsInvalid int `json:"proofs_invalid"`
	Failed        int `json:"failed"`
	// ChainProofs is the number of epochs closed in this run in which the
	// miner's on-chain proof of model was accepted.
	ChainProofs int `json:"chain_proofs"`
	// Incentive is the miner's incentive at the last epoch closed (a
	// fraction of 1 over all miners).
	Incentive validator.Frac `json:"incentive"`
	// Emission is what the miner earned over the epochs closed in this run,
	// base units.
	Emission uint64 `json:"emission"`
}

// ValidatorResult is one scoring validator over the run.
type ValidatorResult struct {
	UID uint16 `json:"uid"`
	// Stake is the hotkey's stake at Height (dividends are paid as stake).
	Stake uint64 `json:"stake"`
	// Dividends is the validator's dividend share at the last epoch closed
	// (a fraction of 1).
	Dividends validator.Frac `json:"dividends"`
	// Emission is what the validator earned over the epochs closed in this
	// run, base units.
	Emission uint64 `json:"emission"`
	// Tempos is how many tempo reports the validator daemon made.
	Tempos int `json:"tempos"`
}

// WriteText prints the result as tables for people.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "devnet %s: subnet %d (%s, %s scheme, tempo %d), %d nodes, height %d, epochs %d-%d (%d paid), %.0f s\n",
		r.ChainID, r.Subnet, r.Arch, r.Scheme, r.Tempo, r.Nodes, r.Height, r.FirstEpoch, r.LastEpoch, r.PaidEpochs, r.Seconds)
	fmt.Fprintf(w, "models: good %.1f%%, weak %.1f%% on the MNIST test set\n", 100*r.GoodAccuracy, 100*r.WeakAccuracy)
	how := "one request and one proof each"
	if r.Batch != 0 {
		how = fmt.Sprintf("in one /v2/infer batch of %d with one batch proof", r.Batch)
	}
	fmt.Fprintf(w, "challenges: %d graded + %d decoys per miner per tempo from each validator, %s\n", r.Graded, r.Decoys, how)
	if r.Ceremony != nil {
		r.Ceremony.writeText(w)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "UID\tbehavior\taccuracy\tproofs valid\tinvalid\tfailed\ton-chain proofs\tincentive\temission\t")
	for _, m := range r.Miners {
		acc := "-"
		if m.Accuracy != nil {
			acc = fmt.Sprintf("%.0f%% (%d/%d)", 100**m.Accuracy, m.Correct, m.Graded)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t\n", m.UID, m.Behavior, acc, m.ProofsValid, m.ProofsInvalid,
			m.Failed, m.ChainProofs, m.Incentive.Format(4), m.Emission)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "validator UID\tstake\tdividends\temission\ttempos scored\t")
	for _, v := range r.Validators {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\t\n", v.UID, v.Stake, v.Dividends.Format(4), v.Emission, v.Tempos)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	agree := "agree"
	if !r.AppHashesAgree {
		agree = "DISAGREE"
	}
	conserved := "conserved"
	if !r.SupplyConserved {
		conserved = "NOT conserved"
	}
	short := ""
	if len(r.AppHashes) > 0 {
		short = r.AppHashes[0]
		if len(short) > 16 {
			short = short[:16] + "..."
		}
	}
	if r.Proofless != nil {
		r.Proofless.writeText(w)
	}
	_, err := fmt.Fprintf(w, "\napp hashes of %d nodes at heights %d-%d: %s (%s); supply %d: %s (genesis %d + minted %d - burned %d)\n",
		r.Nodes, r.StartHeight, r.Height, agree, short, r.Tokenomics.Supply, conserved, r.GenesisSupply, r.Tokenomics.Minted, r.Tokenomics.Burned)
	return err
}
