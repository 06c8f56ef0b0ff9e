package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/zk"
)

var keysDirFlag = &cli.StringFlag{
	Name:  "keys-dir",
	Usage: "key cache directory (default $VERITENSOR_KEYS_DIR, else ~/.cache/veritensor/keys; shared by every process on the machine, setups are locked)",
}

var gpuFlag = &cli.BoolFlag{
	Name:  "gpu",
	Usage: "prove on the GPU (gnark's ICICLE backend, CUDA device 0); needs a binary built with `make build-gpu`",
}

// schemeFlag chooses the proof scheme of an architecture's single-inference
// circuit (zk.Scheme): a subnet's comes from its ceremony.
var schemeFlag = &cli.StringFlag{
	Name:  "scheme",
	Value: "hash",
	Usage: "proof scheme of the single-inference circuit: hash (the model commitment is a Poseidon2 hash of the weights) or commit (the proof's own commitment, the model point, which depends on the proving key; docs/zk.md)",
}

// schemeArg parses --scheme.
func schemeArg(c *cli.Context) (zk.Scheme, error) {
	s, err := zk.ParseScheme(c.String("scheme"))
	if err != nil {
		return 0, fmt.Errorf("--scheme: %w", err)
	}
	return s, nil
}

// proverOptions are the zk.NewProver options of --gpu. Without GPU support
// in the binary, --gpu is an error before any work.
func proverOptions(c *cli.Context) ([]zk.ProverOption, error) {
	if !c.Bool("gpu") {
		return nil, nil
	}
	if !zk.GPUBuild {
		return nil, fmt.Errorf("--gpu: %w: this binary was built without the icicle build tag; build it with `make build-gpu` (needs CUDA and the ICICLE libraries)", zk.ErrNoGPU)
	}
	return []zk.ProverOption{zk.WithGPU()}, nil
}

func init() {
	commands = append(commands, &cli.Command{
		Name:  "zk",
		Usage: "Groth16 proofs of quantized MLP inference: setup, prove, verify, inspect",
		Subcommands: []*cli.Command{
			{
				Name:  "setup",
				Usage: "run (or load from the key cache) the Groth16 setup of an architecture's circuit",
				Flags: []cli.Flag{&cli.StringFlag{Name: "arch", Value: "784-64-10", Usage: "layer sizes, e.g. 784-64-10"},
					&cli.IntFlag{Name: "batch", Usage: "batch size k: set up the batch circuit of k inputs (single-party: tests and local devnets; subnets use 'ceremony ... --batch'; hash scheme only)"},
					schemeFlag, keysDirFlag, outputFlag},
				Action: zkSetup,
			},
			{
				Name:  "prove",
				Usage: "run a model on an input and prove the inference",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "model", Required: true, Usage: "model file (.vtm)"},
					&cli.StringFlag{Name: "input", Required: true, Usage: "mnist:N (test image N), challenge:SEEDHEX:UID (the per-epoch challenge input), or a file of raw pixels 0..255"},
					&cli.StringFlag{Name: "hotkey", Usage: "miner hotkey public key, hex (hashed with zk.HotkeyHash)"},
					&cli.Uint64Flag{Name: "epoch", Usage: "epoch the proof is bound to"},
					&cli.StringFlag{Name: "out", Value: "proof.json", Usage: "where to write the proof and its public inputs"},
					schemeFlag, gpuFlag, mnistDirFlag, keysDirFlag, outputFlag,
				},
				Action: zkProve,
			},
			{
				Name:  "verify",
				Usage: "verify a proof file against a verifying key",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "proof", Value: "proof.json", Usage: "proof file written by zk prove"},
					&cli.StringFlag{Name: "vk", Usage: "verifying key file (default: the cached key of the proof's architecture and scheme)"},
					&cli.StringFlag{Name: "scheme", Usage: "proof scheme, hash or commit (default: the proof file's, hash when it names none)"},
					keysDirFlag, outputFlag,
				},
				Action: zkVerify,
			},
			{
				Name:   "inspect",
				Usage:  "print a circuit's constraints, public inputs and (if cached) key sizes and hashes",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "arch", Value: "784-64-10", Usage: "layer sizes, e.g. 784-64-10"}, schemeFlag, keysDirFlag, outputFlag},
				Action: zkInspect,
			},
		},
	})
}

type setupResult struct {
	Arch      string  `json:"arch"`
	Scheme    string  `json:"scheme,omitempty"`
	CircuitID string  `json:"circuit_id"`
	Dir       string  `json:"dir"`
	PKBytes   int     `json:"proving_key_bytes"`
	VKBytes   int     `json:"verifying_key_bytes"`
	PKSHA256  string  `json:"proving_key_sha256"`
	VKSHA256  string  `json:"verifying_key_sha256"`
	Seconds   float64 `json:"seconds"`
}

// cacheKeys are a's single-circuit keys under scheme s from the --keys-dir
// cache (set up on a miss).
func cacheKeys(c *cli.Context, s zk.Scheme, a zk.Arch) (*keycache.Cache, *keycache.Keys, error) {
	kc, err := keycache.New(c.String("keys-dir"))
	if err != nil {
		return nil, nil, err
	}
	bar := newStageTimer(os.Stderr)
	k, err := kc.GetScheme(s, a, func(st string) { bar.stage("setup " + a.String() + " (" + s.String() + "): " + st) })
	return kc, k, err
}

// txKeys are the proving keys of a for a transaction command, from the
// --keys-dir cache (set up on a miss, each stage logged to stderr as
// "zk setup ARCH: STAGE").
func txKeys(c *cli.Context, a zk.Arch) (*keycache.Keys, error) {
	kc, err := keycache.New(c.String("keys-dir"))
	if err != nil {
		return nil, err
	}
	return kc.Get(a, func(stage string) { fmt.Fprintf(os.Stderr, "zk setup %s: %s\n", a, stage) })
}

func zkSetup(c *cli.Context) error {
	a, err := zk.ParseArch(c.String("arch"))
	if err != nil {
		return err
	}
	s, err := schemeArg(c)
	if err != nil {
		return err
	}
	start := time.Now()
	var kc *keycache.Cache
	var k *keycache.Keys
	dir := ""
	if b := c.Int("batch"); b != 0 && s != zk.SchemeHash {
		return fmt.Errorf("--batch with --scheme %s: batch circuits bind the Poseidon2 model commitment, so they exist under the hash scheme only", s)
	}
	if b := c.Int("batch"); b != 0 {
		if kc, err = keycache.New(c.String("keys-dir")); err != nil {
			return err
		}
		bar := newStageTimer(os.Stderr)
		k, err = kc.GetBatch(a, b, func(s string) { bar.stage(fmt.Sprintf("setup %s batch %d: %s", a, b, s)) })
		dir = kc.BatchPath(a, b)
	} else {
		kc, k, err = cacheKeys(c, s, a)
		if kc != nil {
			dir = kc.PathScheme(s, a)
		}
	}
	if err != nil {
		return err
	}
	res := setupResult{Arch: a.String(), Scheme: k.Scheme.String(), CircuitID: hex.EncodeToString(k.CircuitID[:]), Dir: dir,
		PKBytes: len(k.PK), VKBytes: len(k.VK), PKSHA256: hex.EncodeToString(k.PKHash[:]),
		VKSHA256: hex.EncodeToString(k.VKHash[:]), Seconds: time.Since(start).Seconds()}
	return render(c, res, func(w io.Writer) error {
		what := res.Arch
		if k.Batch == 0 {
			what += ", " + res.Scheme + " scheme"
		}
		_, err := fmt.Fprintf(w, "arch %s, circuit %s\nkeys in %s\nproving key   %d bytes sha256 %s\nverifying key %d bytes sha256 %s\n(%.1fs)\n",
			what, res.CircuitID, res.Dir, res.PKBytes, res.PKSHA256, res.VKBytes, res.VKSHA256, res.Seconds)
		return err
	})
}

// proofFile is what zk prove writes and zk verify reads. Public is the
// authoritative 108-byte encoding; the other fields are for people.
type proofFile struct {
	Arch string `json:"arch"`
	// Scheme is the proof scheme ("hash" when absent: files written before
	// schemes existed); under "commit" ModelCommitment is the model point.
	Scheme          string  `json:"scheme,omitempty"`
	CircuitID       string  `json:"circuit_id"`
	Proof           string  `json:"proof"`
	Public          string  `json:"public"`
	ModelCommitment string  `json:"model_commitment"`
	InputHash       string  `json:"input_hash"`
	Output          uint32  `json:"output"`
	HotkeyHash      string  `json:"hotkey_hash"`
	Epoch           uint64  `json:"epoch"`
	ProveSeconds    float64 `json:"prove_seconds"`
	Backend         string  `json:"backend,omitempty"`
}

// parseInput reads --input: mnist:N, challenge:SEEDHEX:UID or a pixel file.
func parseInput(c *cli.Context, n int) ([]int8, error) {
	spec := c.String("input")
	switch {
	case strings.HasPrefix(spec, "mnist:"):
		i, err := strconv.Atoi(strings.TrimPrefix(spec, "mnist:"))
		if err != nil {
			return nil, fmt.Errorf("--input %q: %w", spec, err)
		}
		test, err := mnist.LoadTest(c.String("mnist-dir"))
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= test.Len() {
			return nil, fmt.Errorf("--input %q: test images are 0..%d", spec, test.Len()-1)
		}
		return zk.QuantizeImage(test.Images[i]), nil
	case strings.HasPrefix(spec, "challenge:"):
		parts := strings.Split(spec, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("--input %q: want challenge:SEEDHEX:UID", spec)
		}
		sb, err := hex.DecodeString(parts[1])
		if err != nil || len(sb) != 32 {
			return nil, fmt.Errorf("--input %q: seed must be 32 bytes of hex", spec)
		}
		uid, err := strconv.ParseUint(parts[2], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--input %q: %w", spec, err)
		}
		return zk.ChallengeInput([32]byte(sb), uint32(uid), n), nil
	default:
		b, err := os.ReadFile(spec)
		if err != nil {
			return nil, err
		}
		if len(b) != n {
			return nil, fmt.Errorf("--input %s: %d bytes, the model wants %d pixels", spec, len(b), n)
		}
		return zk.QuantizeImage(b), nil
	}
}

func zkProve(c *cli.Context) error {
	s, err := schemeArg(c)
	if err != nil {
		return err
	}
	opts, err := proverOptions(c)
	if err != nil {
		return err
	}
	if len(opts) > 0 && s != zk.SchemeHash {
		return fmt.Errorf("--gpu with --scheme %s: %w: the commit scheme proves on the CPU only", s, zk.ErrNoGPU)
	}
	m, err := loadModel(c.String("model"))
	if err != nil {
		return err
	}
	x, err := parseInput(c, m.Arch.Inputs())
	if err != nil {
		return err
	}
	hk, err := hex.DecodeString(c.String("hotkey"))
	if err != nil {
		return fmt.Errorf("--hotkey: %w", err)
	}
	_, k, err := cacheKeys(c, s, m.Arch)
	if err != nil {
		return err
	}
	bar := newStageTimer(os.Stderr)
	bar.stage("compile circuit and load proving key")
	p, err := zk.NewSingleProver(s, m.Arch, k.PK, opts...)
	if err != nil {
		return err
	}
	bar.stage("prove")
	start := time.Now()
	proof, pub, err := p.Prove(m, x, zk.Binding{HotkeyHash: zk.HotkeyHash(hk), Epoch: c.Uint64("epoch")})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	bar.stage("done")
	pb, _ := pub.MarshalBinary()
	pf := proofFile{Arch: m.Arch.String(), Scheme: s.String(), CircuitID: hex.EncodeToString(k.CircuitID[:]), Proof: hex.EncodeToString(proof),
		Public: hex.EncodeToString(pb), ModelCommitment: hex.EncodeToString(pub.ModelCommitment[:]),
		InputHash: hex.EncodeToString(pub.InputHash[:]), Output: pub.Output, HotkeyHash: hex.EncodeToString(pub.HotkeyHash[:]),
		Epoch: pub.Epoch, ProveSeconds: secs, Backend: p.Backend()}
	jb, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.String("out"), append(jb, '\n'), 0o644); err != nil {
		return err
	}
	return render(c, pf, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "class %d, proof %d bytes in %.2fs (%s), written to %s\nmodel commitment %s\n",
			pf.Output, len(proof), secs, pf.Backend, c.String("out"), pf.ModelCommitment)
		return err
	})
}

type verifyResult struct {
	Valid   bool    `json:"valid"`
	Arch    string  `json:"arch"`
	Scheme  string  `json:"scheme"`
	Output  uint32  `json:"output"`
	Epoch   uint64  `json:"epoch"`
	Seconds float64 `json:"verify_seconds"`
}

func zkVerify(c *cli.Context) error {
	b, err := os.ReadFile(c.String("proof"))
	if err != nil {
		return err
	}
	var pf proofFile
	if err := json.Unmarshal(b, &pf); err != nil {
		return fmt.Errorf("%s: %w", c.String("proof"), err)
	}
	proof, err := hex.DecodeString(pf.Proof)
	if err != nil {
		return fmt.Errorf("proof: %w", err)
	}
	pubBytes, err := hex.DecodeString(pf.Public)
	if err != nil {
		return fmt.Errorf("public: %w", err)
	}
	name := pf.Scheme
	if c.IsSet("scheme") {
		name = c.String("scheme")
	}
	if name == "" {
		name = zk.SchemeHash.String()
	}
	s, err := zk.ParseScheme(name)
	if err != nil {
		return err
	}
	pub, err := zk.UnmarshalPublicFor(s, pubBytes)
	if err != nil {
		return err
	}
	var vk []byte
	if path := c.String("vk"); path != "" {
		if vk, err = os.ReadFile(path); err != nil {
			return err
		}
	} else {
		a, err := zk.ParseArch(pf.Arch)
		if err != nil {
			return err
		}
		kc, err := keycache.New(c.String("keys-dir"))
		if err != nil {
			return err
		}
		k, err := kc.LoadScheme(s, a)
		if err != nil {
			return fmt.Errorf("%w (run `veritensor zk setup --arch %s --scheme %s` or pass --vk)", err, a, s)
		}
		vk = k.VK
	}
	v, err := zk.NewSingleVerifier(s, vk)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := v.Verify(proof, pub); err != nil {
		return err
	}
	res := verifyResult{Valid: true, Arch: pf.Arch, Scheme: s.String(), Output: pub.Output, Epoch: pub.Epoch, Seconds: time.Since(start).Seconds()}
	return render(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "valid: %s proof (%s scheme) of class %d for epoch %d (verified in %.2f ms)\n", res.Arch, res.Scheme, res.Output, res.Epoch, 1000*res.Seconds)
		return err
	})
}

type inspectResult struct {
	Arch          string   `json:"arch"`
	Scheme        string   `json:"scheme"`
	CircuitID     string   `json:"circuit_id"`
	Constraints   int      `json:"constraints"`
	PublicInputs  []string `json:"public_inputs"`
	Weights       int      `json:"weights"`
	Cached        bool     `json:"keys_cached"`
	PKBytes       int      `json:"proving_key_bytes,omitempty"`
	VKBytes       int      `json:"verifying_key_bytes,omitempty"`
	PKSHA256      string   `json:"proving_key_sha256,omitempty"`
	VKSHA256      string   `json:"verifying_key_sha256,omitempty"`
	MaxProofBytes int      `json:"max_proof_bytes"`
}

func zkInspect(c *cli.Context) error {
	a, err := zk.ParseArch(c.String("arch"))
	if err != nil {
		return err
	}
	s, err := schemeArg(c)
	if err != nil {
		return err
	}
	ccs, err := zk.CompileScheme(s, a)
	if err != nil {
		return err
	}
	id := s.CircuitID(a)
	names := zk.PublicInputNames()
	if s == zk.SchemeCommit {
		names = names[1:] // the model point travels in the proof
	}
	res := inspectResult{Arch: a.String(), Scheme: s.String(), CircuitID: hex.EncodeToString(id[:]), Constraints: ccs.GetNbConstraints(),
		PublicInputs: names, Weights: a.NumWeights(), MaxProofBytes: zk.MaxProofSize}
	if kc, err := keycache.New(c.String("keys-dir")); err == nil {
		if k, err := kc.LoadScheme(s, a); err == nil {
			res.Cached, res.PKBytes, res.VKBytes = true, len(k.PK), len(k.VK)
			res.PKSHA256, res.VKSHA256 = hex.EncodeToString(k.PKHash[:]), hex.EncodeToString(k.VKHash[:])
		}
	}
	return render(c, res, func(w io.Writer) error {
		fmt.Fprintf(w, "arch:          %s (%d int8 weights)\nproof scheme:  %s\ncircuit id:    %s\nconstraints:   %d (R1CS, BN254)\npublic inputs: %s\n",
			res.Arch, res.Weights, res.Scheme, res.CircuitID, res.Constraints, strings.Join(res.PublicInputs, ", "))
		if res.Cached {
			fmt.Fprintf(w, "proving key:   %d bytes sha256 %s\nverifying key: %d bytes sha256 %s\n", res.PKBytes, res.PKSHA256, res.VKBytes, res.VKSHA256)
		} else {
			fmt.Fprintln(w, "keys:          not cached (run `veritensor zk setup --arch "+res.Arch+" --scheme "+res.Scheme+"`)")
		}
		return nil
	})
}
