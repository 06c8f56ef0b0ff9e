package scoring

import "fmt"

// checkNeurons enforces Neurons[i].UID == i.
func checkNeurons(ns []Neuron) error {
	if len(ns) > 1<<16 {
		return fmt.Errorf("%w: %d neurons, at most 65536", ErrNeuronOrder, len(ns))
	}
	for i, nr := range ns {
		if int(nr.UID) != i {
			return fmt.Errorf("%w: neurons[%d] has uid %d", ErrNeuronOrder, i, nr.UID)
		}
	}
	return nil
}

// checkRows enforces strictly increasing row and entry UIDs below n.
func checkRows(what string, rows []Row, n int) error {
	for r, row := range rows {
		if int(row.UID) >= n {
			return fmt.Errorf("%s row %d: %w %d (n = %d)", what, r, ErrUnknownUID, row.UID, n)
		}
		if r > 0 && row.UID <= rows[r-1].UID {
			return fmt.Errorf("%s row %d: %w: uid %d after %d", what, r, ErrRowOrder, row.UID, rows[r-1].UID)
		}
		for k, w := range row.Weights {
			if int(w.UID) >= n {
				return fmt.Errorf("%s row uid %d: %w %d (n = %d)", what, row.UID, ErrUnknownUID, w.UID, n)
			}
			if k > 0 && w.UID <= row.Weights[k-1].UID {
				return fmt.Errorf("%s row uid %d: %w: entry uid %d after %d", what, row.UID, ErrRowOrder, w.UID, row.Weights[k-1].UID)
			}
		}
	}
	return nil
}
