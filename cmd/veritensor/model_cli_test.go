package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelTrainSmallArch: the 49-input architecture trains on 4x4-pooled
// 7x7 images (it used to fail with "sample 0 does not fit"), evaluates, and
// the progress goes out as plain lines when stderr is not a terminal.
func TestModelTrainSmallArch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "small.vtm")
	text, err := runCLI(t, "model", "train", "--arch", "49-16-10", "--steps", "60", "--out", out, "-o", "json")
	if err != nil {
		t.Fatalf("model train --arch 49-16-10: %v\n%s", err, text)
	}
	if strings.Contains(text, "\r") || !strings.Contains(text, "train 49-16-10: 100% (60/60)") {
		t.Fatalf("progress is not plain lines:\n%s", text)
	}
	var res trainResult
	if err := json.Unmarshal([]byte(text[strings.Index(text, "{"):]), &res); err != nil || res.Arch != "49-16-10" || res.QuantAcc < 0.3 {
		t.Fatalf("train result %+v %v", res, err)
	}
	text, err = runCLI(t, "model", "eval", "--model", out, "--limit", "500")
	if err != nil || !strings.Contains(text, "on 500 MNIST test images") {
		t.Fatalf("model eval: %v\n%s", err, text)
	}
	if _, err := runCLI(t, "model", "train", "--arch", "100-10", "--steps", "1", "--out", out); err == nil ||
		!strings.Contains(err.Error(), "784 inputs (28x28) or, pooled, 49") {
		t.Fatalf("arch with 100 inputs: %v", err)
	}
}
