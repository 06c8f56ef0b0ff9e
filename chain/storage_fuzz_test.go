package chain

import (
	"testing"

	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
)

func FuzzDecodeValidatorUpdate(f *testing.F) {
	fuzzBody(f, TxValidatorUpdate, &MsgValidatorUpdate{PubKey: make([]byte, 32), Power: 10})
}

// FuzzSnapshotChunk: a chunk from an untrusted peer never panics the
// importer (it is refused with an error).
func FuzzSnapshotChunk(f *testing.F) {
	e := NewEncoder(64)
	encodeExportNode(e, &iavl.ExportNode{Key: []byte("a"), Value: []byte("1"), Version: 1, Height: 0})
	encodeExportNode(e, &iavl.ExportNode{Key: []byte("b"), Value: []byte("2"), Version: 1, Height: 0})
	encodeExportNode(e, &iavl.ExportNode{Key: []byte("b"), Version: 1, Height: 1})
	f.Add(e.Bytes())
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'x', 0})
	f.Fuzz(func(t *testing.T, chunk []byte) {
		tree := iavl.NewMutableTree(iavldb.NewMemDB(), 100, true, iavl.NewNopLogger())
		imp, err := tree.Import(3)
		if err != nil {
			t.Fatal(err)
		}
		defer imp.Close()
		r := &restore{height: 3, imp: imp}
		_ = r.add(chunk)
	})
}
