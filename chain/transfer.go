package chain

import (
	"fmt"
	"strconv"
)

// TxTransfer is the envelope type of MsgTransfer.
const TxTransfer TxType = 1

// MsgTransfer moves Amount base units from the signer to To. Body encoding:
// to (20 bytes) | amount (uint64 big-endian).
type MsgTransfer struct {
	To     Address `json:"to"`
	Amount uint64  `json:"amount"`
}

func init() { RegisterMsg(TxTransfer, "transfer", decodeTransfer) }

func decodeTransfer(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgTransfer
	copy(m.To[:], d.Fixed(AddressLen, "to"))
	m.Amount = d.Uint64("amount")
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgTransfer) Type() TxType { return TxTransfer }

// MarshalBody implements Msg.
func (m *MsgTransfer) MarshalBody() []byte {
	return NewEncoder(AddressLen + 8).Fixed(m.To[:]).Uint64(m.Amount).Bytes()
}

// ValidateBasic rejects a zero amount.
func (m *MsgTransfer) ValidateBasic() error {
	if m.Amount == 0 {
		return fmt.Errorf("%w: transfer amount is zero", ErrInvalidMsg)
	}
	return nil
}

// Execute moves the funds and emits a "transfer" event.
func (m *MsgTransfer) Execute(tc *TxContext) error {
	if err := tc.State.Transfer(tc.Signer, m.To, m.Amount); err != nil {
		return err
	}
	tc.EmitEvent(Event{Type: "transfer", Attrs: []Attr{{"from", tc.Signer.String()}, {"to", m.To.String()},
		{"amount", strconv.FormatUint(m.Amount, 10)}}, Index: []string{"from", "to"}})
	return nil
}
