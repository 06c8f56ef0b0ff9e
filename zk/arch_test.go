package zk

import (
	"errors"
	"testing"
)

func TestParseArch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"784-64-10", "784-64-10", true},
		{" 784-128-64-10 ", "784-128-64-10", true},
		{"4-2", "4-2", true},
		{"784", "", false},
		{"", "", false},
		{"784--10", "", false},
		{"784-x-10", "", false},
		{"784-0-10", "", false},
		{"784-64-4097", "", false},
		{"4096-4096-10", "", false}, // too many weights
		{"1-1-1-1-1-1-1-1-1-1", "", false},
	} {
		a, err := ParseArch(tc.in)
		if tc.ok != (err == nil) {
			t.Errorf("ParseArch(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrBadArch) {
			t.Errorf("ParseArch(%q): %v does not wrap ErrBadArch", tc.in, err)
		}
		if tc.ok && a.String() != tc.want {
			t.Errorf("ParseArch(%q).String() = %q, want %q", tc.in, a.String(), tc.want)
		}
	}
}

func TestCircuitIDDistinct(t *testing.T) {
	seen := map[[32]byte]string{}
	for _, s := range []string{"784-64-10", "784-32-10", "784-128-64-10", "784-64-9", "78-46-410"} {
		id := mustArch(t, s).CircuitID()
		if prev, ok := seen[id]; ok {
			t.Fatalf("%s and %s share circuit ID", prev, s)
		}
		seen[id] = s
	}
	if mustArch(t, "784-64-10").CircuitID() != mustArch(t, "784-64-10").CircuitID() {
		t.Fatal("circuit ID not deterministic")
	}
}
