package fault

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/zk"
)

// TestNew: each behavior's fault, what it asks of the daemon, and errors
// naming the config key at fault.
func TestNew(t *testing.T) {
	victim := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name            string
		b               Behavior
		forge, copy     string
		wantErr         string // the key named, "" for none
		wantNil         bool
		serves, submits bool
	}{
		{name: "honest is no fault", b: Honest, wantNil: true},
		{name: "lazy", b: Lazy, serves: true},
		{name: "forger", b: Forger, forge: "f.vtm", serves: true, submits: true},
		{name: "copycat", b: Copycat, copy: victim, serves: true, submits: true},
		{name: "offline", b: Offline},
		{name: "unknown", b: "sneaky", wantErr: "behavior"},
		{name: "forger without its model", b: Forger, wantErr: "forge-model"},
		{name: "copycat with a short key", b: Copycat, copy: victim[:62], wantErr: "copy-hotkey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(tc.b, tc.forge, tc.copy)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr+":") {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tc.wantNil:
				if f != nil {
					t.Fatalf("fault %v", f)
				}
				return
			}
			if f.Behavior() != tc.b || f.Serves() != tc.serves || f.Submits() != tc.submits {
				t.Fatalf("%s: serves %v submits %v", f.Behavior(), f.Serves(), f.Submits())
			}
		})
	}
}

// TestProvers: a forger proves its other model with its own hotkey, a
// copycat the served model with the victim's, a lazy miner answers a class
// without a proof.
func TestProvers(t *testing.T) {
	served, other := &zk.Model{}, &zk.Model{}
	own, victim := [32]byte{1}, [32]byte{2}
	var gotModel *zk.Model
	var gotKey [32]byte
	env := Env{Classes: 10, Model: served, Hotkey: own,
		LoadModel: func(path string) (*zk.Model, error) {
			if path != "f.vtm" {
				return nil, errors.New("no such model")
			}
			return other, nil
		},
		Prover: func(m *zk.Model, hk [32]byte) (server.Prover, error) { gotModel, gotKey = m, hk; return nil, nil }}
	f, _ := New(Forger, "f.vtm", "")
	if _, err := f.Prover(env); err != nil || gotModel != other || gotKey != own {
		t.Fatalf("forger: %v, proves %p with %x", err, gotModel, gotKey[:1])
	}
	c, _ := New(Copycat, "", "02"+strings.Repeat("00", 31))
	if _, err := c.Prover(env); err != nil || gotModel != served || gotKey != victim {
		t.Fatalf("copycat: %v, proves %p with %x", err, gotModel, gotKey[:1])
	}
	l, _ := New(Lazy, "", "")
	p, err := l.Prover(env)
	if err != nil {
		t.Fatal(err)
	}
	class, proof, pub, err := p.Prove(context.Background(), nil, 1)
	if err != nil || class >= 10 || proof != nil || pub != nil {
		t.Fatalf("lazy: class %d proof %v pub %v err %v", class, proof, pub, err)
	}
}

// TestBatchProvers: every fault answers /v2/infer batches the way it
// answers /v1/infer (before, a faulty daemon served no batches, so a
// validator sending batches saw a 404, not the cheat): a forger proves its
// other model with its own hotkey, a copycat the served model bound to the
// victim's hotkey, a lazy (or offline) miner random classes, no proof.
func TestBatchProvers(t *testing.T) {
	served, other := &zk.Model{}, &zk.Model{}
	own, victim := [32]byte{1}, [32]byte{2}
	var gotModel *zk.Model
	var gotKey [32]byte
	env := Env{Classes: 10, Model: served, Hotkey: own,
		LoadModel: func(path string) (*zk.Model, error) {
			if path != "f.vtm" {
				return nil, errors.New("no such model")
			}
			return other, nil
		},
		BatchProver: func(m *zk.Model, hk [32]byte) (server.BatchProver, error) { gotModel, gotKey = m, hk; return nil, nil }}
	for _, b := range Behaviors[1:] {
		f, err := New(b, "f.vtm", "02"+strings.Repeat("00", 31))
		if err != nil {
			t.Fatal(err)
		}
		bf, ok := f.(BatchFault)
		if !ok {
			t.Fatalf("%s serves no batches", b)
		}
		gotModel, gotKey = nil, [32]byte{}
		p, err := bf.BatchProver(env, []int{4})
		if err != nil {
			t.Fatal(err)
		}
		switch b {
		case Forger:
			if gotModel != other || gotKey != own {
				t.Fatalf("forger batch: proves %p with %x", gotModel, gotKey[:1])
			}
		case Copycat:
			if gotModel != served || gotKey != victim {
				t.Fatalf("copycat batch: proves %p with %x", gotModel, gotKey[:1])
			}
		default: // lazy, offline
			classes, proof, pub, err := p.ProveBatch(context.Background(), make([][]int8, 4), 1)
			if err != nil || len(classes) != 4 || proof != nil || pub != nil || len(p.Sizes()) != 1 || p.Sizes()[0] != 4 {
				t.Fatalf("%s batch: classes %v proof %v pub %v err %v", b, classes, proof, pub, err)
			}
			for _, c := range classes {
				if c >= 10 {
					t.Fatalf("%s batch: class %d", b, c)
				}
			}
		}
	}
}
