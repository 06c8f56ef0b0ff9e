package chain

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestMisbehaviorRecorded: evidence CometBFT passes to FinalizeBlock is kept
// in state (and so in the app hash) and served on /misbehavior.
func TestMisbehaviorRecorded(t *testing.T) {
	app, st := openApp(t, t.TempDir())
	defer st.Close()
	initChain(t, app, testGenesisJSON(t, 2))
	ev := abci.Misbehavior{Type: abci.MisbehaviorType_DUPLICATE_VOTE, Validator: abci.Validator{Address: []byte{1, 2, 3}, Power: 10},
		Height: 1, Time: time.Unix(1_700_000_000, 0), TotalVotingPower: 40}
	res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Hash: blockHash(1), Time: time.Unix(1_700_000_001, 0), Misbehavior: []abci.Misbehavior{ev}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	q, _ := app.Query(context.Background(), &abci.RequestQuery{Path: "/misbehavior"})
	var got []MisbehaviorRecord
	if err := json.Unmarshal(q.Value, &got); err != nil || len(got) != 1 || got[0].Validator != "010203" || got[0].Type != "DUPLICATE_VOTE" || got[0].ReportedAt != 1 {
		t.Fatalf("misbehavior %s: %+v %v", q.Value, got, err)
	}
	if len(res.ValidatorUpdates) != 0 {
		t.Fatal("no slashing: evidence alone changes no validator")
	}
}
