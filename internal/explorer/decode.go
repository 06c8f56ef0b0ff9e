package explorer

import (
	"encoding/json"
	"fmt"

	"github.com/veritensor/veritensor/chain"
)

// maxField is the longest string a decoded message shows (proofs and keys
// are cut, with their length).
const maxField = 80

// DecodeTx decodes a raw transaction with the chain's own decoders
// (chain.DecodeTx, chain.DecodeMsg); what does not decode says why.
func DecodeTx(raw []byte) TxView {
	tx, err := chain.DecodeTx(raw)
	if err != nil {
		return TxView{Type: "undecodable", Log: err.Error()}
	}
	v := TxView{Type: chain.TypeName(tx.Type), Sender: tx.Sender().String(), Nonce: tx.Nonce, Fee: tx.Fee}
	msg, err := chain.DecodeMsg(tx.Type, tx.Body)
	if err != nil {
		v.Msg = map[string]any{"error": err.Error()}
		return v
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return v
	}
	var m any
	if json.Unmarshal(b, &m) == nil {
		v.Msg = shorten(m)
	}
	return v
}

func shorten(v any) any {
	switch x := v.(type) {
	case string:
		if len(x) > maxField {
			return fmt.Sprintf("%s… (%d chars)", x[:maxField], len(x))
		}
	case map[string]any:
		for k, e := range x {
			x[k] = shorten(e)
		}
	case []any:
		if len(x) > 64 {
			return fmt.Sprintf("[%d entries]", len(x))
		}
		for i, e := range x {
			x[i] = shorten(e)
		}
	}
	return v
}

// codeName is the chain's name of a result code ("" for 0).
func codeName(code uint32) string {
	if code == 0 {
		return ""
	}
	if e := chain.ErrorForCode(code); e != nil {
		return e.Name
	}
	return fmt.Sprintf("code %d", code)
}
