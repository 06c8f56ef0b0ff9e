package chain

import (
	"reflect"
	"runtime"
	"testing"
)

// TestEndBlockerOrder pins the order of the end-of-block hooks. The order is
// consensus: the hooks write state and emit events, so reordering them changes
// the app hash. It was the init order (file-name order: ceremony.go, epoch.go,
// fees.go) before the list became explicit; change it only with a protocol
// version (docs/protocol.md).
func TestEndBlockerOrder(t *testing.T) {
	var got []string
	for _, e := range endBlockers {
		fn := runtime.FuncForPC(reflect.ValueOf(e.fn).Pointer()).Name()
		got = append(got, e.name+"="+fn)
	}
	const pkg = "github.com/veritensor/veritensor/chain."
	want := []string{
		"ceremonies=" + pkg + "ceremoniesEndBlock",
		"subnets=" + pkg + "subnetsEndBlock",
		"fees=" + pkg + "burnFees",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("end blockers run in order %v, want %v", got, want)
	}
}
