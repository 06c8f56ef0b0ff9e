// Package task owns subnet tasks: what a subnet's miners compute and how
// validators grade it. A Spec names the input (source data set, its
// preprocessing and shape), the label space, the format of the validators'
// held-out data, the model family (architecture) and its circuit ID, the
// scoring metric and whether answers must carry a proof. A spec file is
// canonical JSON and is addressed by the SHA-256 of that encoding (Hash).
//
// The rest of the repository asks this package instead of switching on
// strings: which held-out data a validator loads (LoadHeldOut, as Samples),
// how images are preprocessed (Preprocess, Pool4x4), which built-in task
// fits an architecture (ForArch).
package task

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/zk"
)

// SpecVersion is the version of the spec format this package reads and
// writes.
const SpecVersion = 1

// ErrBadSpec: a spec is malformed, inconsistent or names something this
// build does not know.
var ErrBadSpec = errors.New("task: bad spec")

// Preprocessing names (Input.Preprocess). Each maps a 28x28 MNIST image to
// the bytes the model's quantized input is made from (zk.QuantizeImage:
// pixel >> 1).
const (
	// PreNone keeps the 28x28 image (784 values, shape 1x28x28).
	PreNone = "none"
	// PrePool4x4 averages 4x4 blocks (floor of the mean) into 7x7 (49
	// values, shape 1x7x7).
	PrePool4x4 = "pool4x4"
)

// Source and format names.
const (
	// SourceMNIST is the MNIST handwritten digits (28x28 grey, 10 classes).
	SourceMNIST = "mnist"
	// FormatMNISTIDX is MNIST's gzipped IDX files (t10k-images-idx3-ubyte.gz
	// and t10k-labels-idx1-ubyte.gz), the validators' held-out test split.
	FormatMNISTIDX = "mnist-idx"
	// MetricAccuracy grades a miner by the fraction of graded challenges
	// answered with the held-out label (scoring/ turns it into weights).
	MetricAccuracy = "accuracy"
)

// Input describes a model input.
type Input struct {
	Source     string `json:"source"`     // SourceMNIST
	Preprocess string `json:"preprocess"` // PreNone or PrePool4x4
	Shape      []int  `json:"shape"`      // [C, H, W] after preprocessing
	Quantize   string `json:"quantize"`   // "pixel>>1": int8 0..127, scale 2^-7
}

// Labels is the label space: classes 0..Classes-1, optional names.
type Labels struct {
	Classes int      `json:"classes"`
	Names   []string `json:"names,omitempty"`
}

// Dataset is the validators' held-out data.
type Dataset struct {
	Format string `json:"format"` // FormatMNISTIDX
	Split  string `json:"split"`  // "test"
}

// Model is the model family miners serve.
type Model struct {
	Arch      string `json:"arch"`       // zk architecture name
	CircuitID string `json:"circuit_id"` // hex zk.Scheme.CircuitID of the proof scheme: zk.Arch.CircuitID or zk.CommitCircuitID (empty when no proof)
}

// Spec is a task. Field order is the canonical JSON order.
type Spec struct {
	Version      int     `json:"version"`
	Name         string  `json:"name"`
	Description  string  `json:"description,omitempty"`
	Input        Input   `json:"input"`
	Labels       Labels  `json:"labels"`
	Dataset      Dataset `json:"dataset"`
	Model        Model   `json:"model"`
	Metric       string  `json:"metric"`
	RequireProof bool    `json:"require_proof"`
}

// builtins are the tasks this build ships, by name.
var builtins = []Spec{
	mnistSpec("mnist", "MNIST digits, 28x28, dense 784-64-10", PreNone, "784-64-10"),
	mnistSpec("mnist-7x7", "MNIST digits pooled to 7x7, dense 49-16-10 (small test subnets)", PrePool4x4, "49-16-10"),
	mnistSpec("mnist-cnn", "MNIST digits, 28x28, LeNet-style CNN", PreNone, "28x28-c8k5-mp2-c16k5-mp2-10"),
}

func mnistSpec(name, desc, pre, arch string) Spec {
	side := 28
	if pre == PrePool4x4 {
		side = 7
	}
	s := Spec{Version: SpecVersion, Name: name, Description: desc,
		Input:   Input{Source: SourceMNIST, Preprocess: pre, Shape: []int{1, side, side}, Quantize: "pixel>>1"},
		Labels:  Labels{Classes: 10},
		Dataset: Dataset{Format: FormatMNISTIDX, Split: "test"},
		Model:   Model{Arch: arch}, Metric: MetricAccuracy, RequireProof: true}
	a, err := zk.ParseArch(arch)
	if err != nil {
		panic(err) // a built-in table error
	}
	id := a.CircuitID()
	s.Model.CircuitID = hex.EncodeToString(id[:])
	return s
}

// Builtins returns the names of the built-in tasks.
func Builtins() []string {
	out := make([]string, len(builtins))
	for i, s := range builtins {
		out[i] = s.Name
	}
	return out
}

// Builtin returns the built-in task called name.
func Builtin(name string) (Spec, error) {
	for _, s := range builtins {
		if s.Name == name {
			s.Input.Shape = slices.Clone(s.Input.Shape)
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("%w: no built-in task %q (have %s)", ErrBadSpec, name, strings.Join(Builtins(), ", "))
}

// ForArch returns the built-in MNIST task whose input fits architecture
// arch (its inputs: 49 is mnist-7x7; 784 is mnist, or mnist-cnn for a CNN)
// with Model set to arch.
func ForArch(arch string) (Spec, error) {
	a, err := zk.ParseArch(arch)
	if err != nil {
		return Spec{}, fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	name := ""
	switch {
	case a.Inputs() == 49:
		name = "mnist-7x7"
	case a.Inputs() == 784 && a.IsCNN():
		name = "mnist-cnn"
	case a.Inputs() == 784:
		name = "mnist"
	default:
		return Spec{}, fmt.Errorf("%w: arch %s takes %d inputs; MNIST gives 784 (28x28) or, pooled, 49 (7x7)", ErrBadSpec, a, a.Inputs())
	}
	s, _ := Builtin(name)
	id := a.CircuitID()
	s.Model = Model{Arch: a.String(), CircuitID: hex.EncodeToString(id[:])}
	return s, nil
}

// Validate checks the spec is complete and consistent: a known source,
// preprocessing, format and metric; the shape is what the preprocessing
// gives and what the architecture takes; the classes are its outputs; the
// circuit ID is a single-inference circuit of the architecture under some
// proof scheme, zk.SchemeOf (required when RequireProof).
func (s Spec) Validate() error {
	bad := func(field, why string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadSpec, field, fmt.Sprintf(why, args...))
	}
	if s.Version != SpecVersion {
		return bad("version", "%d, this build reads %d", s.Version, SpecVersion)
	}
	if s.Name == "" || len(s.Name) > 64 || strings.ContainsAny(s.Name, " \t\n/") {
		return bad("name", "%q: want 1..64 characters, no spaces or slashes", s.Name)
	}
	if s.Input.Source != SourceMNIST {
		return bad("input.source", "%q: this build knows %q", s.Input.Source, SourceMNIST)
	}
	want, ok := map[string][]int{PreNone: {1, 28, 28}, PrePool4x4: {1, 7, 7}}[s.Input.Preprocess]
	if !ok {
		return bad("input.preprocess", "%q: want %q or %q", s.Input.Preprocess, PreNone, PrePool4x4)
	}
	if !slices.Equal(s.Input.Shape, want) {
		return bad("input.shape", "%v: preprocessing %s gives %v", s.Input.Shape, s.Input.Preprocess, want)
	}
	if s.Input.Quantize != "pixel>>1" {
		return bad("input.quantize", "%q: want \"pixel>>1\"", s.Input.Quantize)
	}
	if s.Labels.Classes != 10 {
		return bad("labels.classes", "%d: MNIST has 10", s.Labels.Classes)
	}
	if len(s.Labels.Names) != 0 && len(s.Labels.Names) != s.Labels.Classes {
		return bad("labels.names", "%d names for %d classes", len(s.Labels.Names), s.Labels.Classes)
	}
	if s.Dataset.Format != FormatMNISTIDX || s.Dataset.Split != "test" {
		return bad("dataset", "format %q split %q: want %q and \"test\"", s.Dataset.Format, s.Dataset.Split, FormatMNISTIDX)
	}
	a, err := zk.ParseArch(s.Model.Arch)
	if err != nil {
		return bad("model.arch", "%v", err)
	}
	if a.String() != s.Model.Arch {
		return bad("model.arch", "%q is not canonical; write %q", s.Model.Arch, a.String())
	}
	if a.Inputs() != want[0]*want[1]*want[2] {
		return bad("model.arch", "%s takes %d inputs, the input shape has %d", a, a.Inputs(), want[0]*want[1]*want[2])
	}
	if a.IsCNN() && (a.Input != zk.Shape{C: want[0], H: want[1], W: want[2]}) {
		return bad("model.arch", "%s takes %dx%dx%d images, the input shape is %v", a, a.Input.C, a.Input.H, a.Input.W, want)
	}
	if a.Outputs() != s.Labels.Classes {
		return bad("model.arch", "%s has %d outputs for %d classes", a, a.Outputs(), s.Labels.Classes)
	}
	id := a.CircuitID()
	switch {
	case s.Model.CircuitID == "" && s.RequireProof:
		return bad("model.circuit_id", "required when require_proof is true (%x)", id)
	case s.Model.CircuitID != "":
		var cid [32]byte
		b, err := hex.DecodeString(s.Model.CircuitID)
		if err == nil && len(b) == len(cid) && hex.EncodeToString(b) == s.Model.CircuitID {
			copy(cid[:], b)
			_, err = zk.SchemeOf(a, cid)
		} else {
			err = fmt.Errorf("not 64 lowercase hex digits")
		}
		if err != nil {
			cc := zk.CommitCircuitID(a)
			return bad("model.circuit_id", "%.80s is not a circuit of %s (hash scheme %x, circuit version %d; commit scheme %x, version %d)",
				s.Model.CircuitID, a, id, zk.CircuitVersion, cc, zk.CommitCircuitVersion)
		}
	}
	if s.Metric != MetricAccuracy {
		return bad("metric", "%q: want %q", s.Metric, MetricAccuracy)
	}
	return nil
}

// Arch is the spec's parsed architecture.
func (s Spec) Arch() (zk.Arch, error) { return zk.ParseArch(s.Model.Arch) }

// Marshal returns the canonical encoding: JSON with the fields in Spec's
// order, no insignificant whitespace, no HTML escaping, and a final newline.
func (s Spec) Marshal() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Hash is the content address of the spec: SHA-256 of Marshal's encoding.
func (s Spec) Hash() ([32]byte, error) {
	b, err := s.Marshal()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// MaxSpecSize bounds a spec file.
const MaxSpecSize = 64 << 10

// Parse decodes and validates a spec file. Unknown fields are errors (a
// misspelt field must not silently change the task). canonical reports
// whether data is byte for byte the canonical encoding.
func Parse(data []byte) (s Spec, canonical bool, err error) {
	if len(data) > MaxSpecSize {
		return Spec{}, false, fmt.Errorf("%w: %d bytes, at most %d", ErrBadSpec, len(data), MaxSpecSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, false, fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	if dec.More() {
		return Spec{}, false, fmt.Errorf("%w: trailing data after the spec", ErrBadSpec)
	}
	if err := s.Validate(); err != nil {
		return Spec{}, false, err
	}
	c, err := s.Marshal()
	if err != nil {
		return Spec{}, false, err
	}
	return s, bytes.Equal(c, data), nil
}

// Preprocess maps a 28x28 MNIST image by the named preprocessing.
func Preprocess(pre string, img []byte) ([]byte, error) {
	switch pre {
	case PreNone:
		return img, nil
	case PrePool4x4:
		if len(img) != 784 {
			return nil, fmt.Errorf("%w: pool4x4 takes 784 pixels, got %d", ErrBadSpec, len(img))
		}
		return Pool4x4(img), nil
	}
	return nil, fmt.Errorf("%w: unknown preprocessing %q", ErrBadSpec, pre)
}

// Pool4x4 averages the 4x4 blocks of a 28x28 image (784 bytes, row-major)
// into a 7x7 image (floor of the mean).
func Pool4x4(img []byte) []byte {
	out := make([]byte, 49)
	for r := range 7 {
		for c := range 7 {
			s := 0
			for dr := range 4 {
				for dc := range 4 {
					s += int(img[(4*r+dr)*28+4*c+dc])
				}
			}
			out[r*7+c] = byte(s / 16)
		}
	}
	return out
}

// MapSet preprocesses every image of an MNIST set.
func (s Spec) MapSet(set mnist.Set) (mnist.Set, error) {
	if s.Input.Preprocess == PreNone {
		return set, nil
	}
	if _, err := Preprocess(s.Input.Preprocess, make([]byte, 784)); err != nil {
		return mnist.Set{}, err
	}
	return set.Map(func(img []byte) []byte { out, _ := Preprocess(s.Input.Preprocess, img); return out }), nil
}

// Resolve returns the task a name stands for: a built-in task name, or a
// dataset name of older configurations ("mnist", "mnist-7x7" are also
// built-in task names).
func Resolve(name string) (Spec, error) { return Builtin(name) }

// Known reports whether name is a task this build can load held-out data
// for (a built-in task).
func Known(name string) bool {
	_, err := Builtin(name)
	return err == nil
}

// ErrHashMismatch: spec bytes fetched for a subnet do not hash to the task
// hash the chain records.
var ErrHashMismatch = errors.New("task: spec does not match the subnet's task hash")

// Verify parses spec bytes fetched from anywhere (a node, a file, a web
// server) and checks they are the canonical encoding whose SHA-256 is want,
// the task hash a subnet records on chain.
func Verify(data []byte, want [32]byte) (Spec, error) {
	if got := sha256.Sum256(data); got != want {
		return Spec{}, fmt.Errorf("%w: the %d bytes hash to %x, the chain records %x", ErrHashMismatch, len(data), got, want)
	}
	s, canonical, err := Parse(data)
	if err != nil {
		return Spec{}, err
	}
	if !canonical {
		return Spec{}, fmt.Errorf("%w: not the canonical encoding", ErrBadSpec)
	}
	return s, nil
}
