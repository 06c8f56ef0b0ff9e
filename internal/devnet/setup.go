package devnet

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/veritensor/veritensor/zk"
)

// setup is the first stage: it fills the options' defaults, opens (or
// creates) the devnet's home and state, and loads (or trains) the models.
// Nothing runs yet.
func setup(o Options, progress io.Writer) (*runner, error) {
	begin := time.Now()
	challengesSet := o.Graded != 0 || o.Decoys != 0
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	r := &runner{begin: begin, pw: &syncWriter{w: progress}}
	if err := os.MkdirAll(o.Home, 0o755); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	s, err := loadState(o.Home)
	if err != nil {
		return nil, err
	}
	r.resumed = s != nil
	if r.resumed {
		r.say("resuming the devnet in %s: %d nodes, subnet %d (%s, %s scheme, tempo %d, batch %d), %d miners (the home's settings win over flags)",
			o.Home, s.Nodes, s.Subnet, s.Arch, s.Scheme, s.Tempo, s.Batch, len(s.Miners))
	} else {
		if s, err = newDevnet(&o); err != nil {
			return nil, err
		}
		r.say("new devnet in %s: %d nodes, %d scoring validators, miners %s", o.Home, s.Nodes, ScoringValidators, behaviorList(s.Miners))
	}
	o.Arch, o.Batch, o.Scheme = s.Arch, s.Batch, s.Scheme
	if !challengesSet { // the defaults of the devnet's architecture, not the flag's
		o.Graded, o.Decoys = challenges(s.Arch, s.Batch, s.Scheme)
	}
	if o.Batch != 0 && o.Graded+o.Decoys != o.Batch {
		return nil, fmt.Errorf("%w: this devnet's batch is %d (its home's): graded+decoys %d", ErrOptions, o.Batch, o.Graded+o.Decoys)
	}
	r.o, r.s = o, s

	if r.ms, err = LoadModels(filepath.Join(o.Home, "models"), s.Arch, o.MNISTDir, r.pw); err != nil {
		return nil, err
	}
	r.say("models: good %.1f%%, weak %.1f%% on the MNIST test set", 100*r.ms.GoodAccuracy, 100*r.ms.WeakAccuracy)
	if _, err := zk.ParseArch(s.Arch); err != nil {
		return nil, err
	}
	r.log = slog.New(slog.DiscardHandler)
	if o.Verbose {
		r.log = slog.New(slog.NewTextHandler(r.pw, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return r, nil
}

func behaviorList(ms []member) string {
	var b []string
	for _, m := range ms {
		b = append(b, string(m.Behavior))
	}
	return strings.Join(b, ",")
}
