package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/ceremonydir"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/internal/progress"
	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/ceremony"
)

var ceremonyDirFlag = &cli.StringFlag{
	Name:  "dir",
	Value: "ceremony",
	Usage: "transcript directory: one file per state, each named by its SHA-256 (<hex>.ceremony)",
}

var ceremonyArchFlag = &cli.StringFlag{Name: "arch", Usage: "layer sizes of the circuit, e.g. 784-64-10"}

// ceremonyBatchFlag picks the batch circuit of k inputs of --arch (its own
// phase 2, named by zk.BatchCircuitID).
var ceremonyBatchFlag = &cli.IntFlag{Name: "batch", Usage: "batch size k: the batch circuit of k inputs of --arch (docs/zk.md, \"Batch proofs\"); 0 is the single circuit"}

// ceremonyLiveVerify, when set by the chain side (an init function in
// another file of this package), audits a live subnet's ceremony:
// `veritensor ceremony verify --subnet N --node URL` fetches the transcript
// the chain recorded and verifies it. That file adds its flags to
// ceremonyVerifyCmd.Flags. It is called when the flag "subnet" is set.
var ceremonyLiveVerify func(c *cli.Context) error

var ceremonyVerifyCmd = &cli.Command{
	Name:  "verify",
	Usage: "verify a whole transcript from scratch and name the first bad file",
	Description: "Checks every link (each file's header names the SHA-256 of the one before), the phase-1 init,\n" +
		"each contribution's proofs, the phase-1 seal against the beacon, the phase-2 init against the circuit\n" +
		"compiled from --arch, and re-seals phase 2 to the keys. Without --beacon1/--beacon2 the beacons the\n" +
		"sealed files claim are used (and printed): compare them with the chain's.",
	Flags: []cli.Flag{
		ceremonyDirFlag, ceremonyArchFlag, ceremonyBatchFlag, schemeFlag,
		&cli.StringFlag{Name: "beacon1", Usage: "expected phase-1 beacon, hex (default: the one in the sealed file)"},
		&cli.StringFlag{Name: "beacon2", Usage: "expected phase-2 beacon, hex (default: the one in the sealed file)"},
		&cli.BoolFlag{Name: "cache", Usage: "use and fill the machine-wide verdict cache (<keys dir>/ceremonies)"},
		&cli.BoolFlag{Name: "store", Usage: "store the verified keys in the key cache (--keys-dir), where the daemons load them (batch circuits' keys for /v2/infer); verifies afresh"},
		keysDirFlag,
		outputFlag,
	},
	Action: ceremonyVerify,
}

func init() {
	commands = append(commands, &cli.Command{
		Name:  "ceremony",
		Usage: "multi-party Groth16 setup: init, contribute, seal, verify and inspect a transcript",
		Description: "A ceremony is phase 1 (powers of tau, size 2^log2, shared by every circuit up to that size) then\n" +
			"phase 2 for one circuit. Safe if one contributor is honest; see docs/zk.md, \"Trusted setup ceremony\".\n" +
			"  veritensor ceremony init --arch 49-16-10          # phase 1 sized for the circuit\n" +
			"  veritensor ceremony contribute                    # each participant, in turn\n" +
			"  veritensor ceremony seal --beacon HEX             # phase 1\n" +
			"  veritensor ceremony init --phase 2 --arch 49-16-10\n" +
			"  veritensor ceremony contribute                    # each participant, in turn\n" +
			"  veritensor ceremony seal --beacon HEX --arch 49-16-10   # writes <hex>.pk and <hex>.vk\n" +
			"  veritensor ceremony verify --arch 49-16-10\n" +
			"The commit circuit (--scheme commit, with --arch) has its own phase 2 too (its ID is the\n" +
			"commit circuit's), and so does a batch circuit (--batch K, with --arch; hash scheme only);\n" +
			"`verify --batch K --store` puts its keys in the key cache for the miner's /v2/infer and validators.",
		Subcommands: []*cli.Command{
			{
				Name:  "init",
				Usage: "start phase 1 (--log2 or --arch) or phase 2 of --arch on the sealed phase 1 in --dir",
				Flags: []cli.Flag{
					ceremonyDirFlag, ceremonyArchFlag, ceremonyBatchFlag, schemeFlag,
					&cli.IntFlag{Name: "phase", Value: 1, Usage: "1 or 2"},
					&cli.IntFlag{Name: "log2", Usage: fmt.Sprintf("phase-1 size 2^log2 (%d..%d); default: what --arch needs", ceremony.MinLog2, ceremony.MaxLog2)},
					outputFlag,
				},
				Action: ceremonyInit,
			},
			{
				Name:   "contribute",
				Usage:  "add a contribution with fresh OS randomness to the latest file and print its SHA-256",
				Flags:  []cli.Flag{ceremonyDirFlag, &cli.StringFlag{Name: "arch", Usage: "circuit whose phase 2 to contribute to, if --dir holds several"}, ceremonyBatchFlag, schemeFlag, outputFlag},
				Action: ceremonyContribute,
			},
			{
				Name:  "seal",
				Usage: "apply the beacon to the open phase; phase 2 also writes the keys (<hex>.pk, <hex>.vk)",
				Flags: []cli.Flag{
					ceremonyDirFlag, ceremonyArchFlag, ceremonyBatchFlag, schemeFlag,
					&cli.StringFlag{Name: "beacon", Usage: "beacon bytes, hex"},
					&cli.StringFlag{Name: "block-hash", Usage: "derive the beacon from this block hash (hex) with --chain-id and --ceremony-id (ceremony.Beacon)"},
					&cli.StringFlag{Name: "chain-id", Usage: "chain ID for --block-hash"},
					&cli.Uint64Flag{Name: "ceremony-id", Usage: "ceremony ID for --block-hash"},
					outputFlag,
				},
				Action: ceremonySeal,
			},
			ceremonyVerifyCmd,
			{
				Name:      "inspect",
				Usage:     "list a transcript's files in order (or one file's header)",
				ArgsUsage: "[FILE]",
				Flags:     []cli.Flag{ceremonyDirFlag, &cli.StringFlag{Name: "arch", Usage: "circuit whose phase 2 to list, if --dir holds several"}, ceremonyBatchFlag, schemeFlag, outputFlag},
				Action:    ceremonyInspect,
			},
		},
	})
}

// ceremonyProgress reports each step through internal/progress: a bar on
// a terminal, plain lines otherwise (at the start, every 10 s, at the end).
func ceremonyProgress() ceremony.Progress {
	var bar *progress.Bar
	cur := ""
	return func(step string, done, total int) {
		if step != cur || bar == nil {
			bar, cur = progress.New(os.Stderr, step), step
		}
		bar.Update(done, total, "")
	}
}

func ceremonyCircuit(c *cli.Context) (*ceremony.Circuit, error) {
	if !c.IsSet("arch") {
		return nil, errors.New("--arch is required")
	}
	a, err := zk.ParseArch(c.String("arch"))
	if err != nil {
		return nil, err
	}
	s, err := ceremonyScheme(c)
	if err != nil {
		return nil, err
	}
	if k := c.Int("batch"); k != 0 {
		return ceremony.CompileBatchCircuit(a, k)
	}
	return ceremony.CompileSchemeCircuit(s, a)
}

// ceremonyScheme is --scheme, refused with --batch unless hash (batch
// circuits bind the Poseidon2 commitment).
func ceremonyScheme(c *cli.Context) (zk.Scheme, error) {
	s, err := schemeArg(c)
	if err != nil {
		return 0, err
	}
	if c.Int("batch") != 0 && s != zk.SchemeHash {
		return 0, fmt.Errorf("--batch with --scheme %s: batch circuits exist under the hash scheme only", s)
	}
	return s, nil
}

// loadChain loads --dir, choosing the phase 2 of --arch when given.
func loadChain(c *cli.Context) (*ceremonydir.Chain, error) {
	var id *[32]byte
	if c.IsSet("arch") {
		a, err := zk.ParseArch(c.String("arch"))
		if err != nil {
			return nil, err
		}
		s, err := ceremonyScheme(c)
		if err != nil {
			return nil, err
		}
		cid := s.CircuitID(a)
		if k := c.Int("batch"); k != 0 {
			cid = zk.BatchCircuitID(a, k)
		}
		id = &cid
	}
	return ceremonydir.Load(c.String("dir"), id)
}

type ceremonyFileOut struct {
	Phase     int     `json:"phase"`
	Kind      string  `json:"kind"`
	Index     uint32  `json:"index"`
	Log2      uint8   `json:"log2"`
	CircuitID string  `json:"circuit_id,omitempty"`
	SHA256    string  `json:"sha256"`
	Prev      string  `json:"prev,omitempty"`
	Path      string  `json:"path,omitempty"`
	Bytes     int64   `json:"bytes"`
	Beacon    string  `json:"beacon,omitempty"`
	Seconds   float64 `json:"seconds,omitempty"`
}

func fileOut(h ceremony.Header, hash [32]byte, path string, size int64) ceremonyFileOut {
	o := ceremonyFileOut{Phase: int(h.Phase), Kind: h.Kind.String(), Index: h.Index, Log2: h.Log2,
		SHA256: hex.EncodeToString(hash[:]), Path: path, Bytes: size}
	if h.Phase == ceremony.Phase2 {
		o.CircuitID = hex.EncodeToString(h.CircuitID[:])
	}
	if h.Prev != ([32]byte{}) {
		o.Prev = hex.EncodeToString(h.Prev[:])
	}
	return o
}

func printFile(c *cli.Context, o ceremonyFileOut) error {
	return render(c, o, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "phase %d %s %d (2^%d) written to %s\nsha256 %s\n", o.Phase, o.Kind, o.Index, o.Log2, o.Path, o.SHA256)
		return err
	})
}

func ceremonyInit(c *cli.Context) error {
	dir := c.String("dir")
	start := time.Now()
	switch c.Int("phase") {
	case 1:
		log2 := uint8(c.Int("log2"))
		if !c.IsSet("log2") {
			if !c.IsSet("arch") {
				return errors.New("phase 1 needs --log2 or --arch")
			}
			circuit, err := ceremonyCircuit(c)
			if err != nil {
				return err
			}
			log2 = circuit.Log2
		}
		ch, err := ceremonydir.Load(dir, nil)
		if err != nil {
			return err
		}
		if len(ch.Phase1) > 0 {
			return fmt.Errorf("%s already holds a phase 1 (%s)", dir, ceremonydir.FileName(ch.Phase1[0].Hash))
		}
		var fi ceremony.FileInfo
		h, path, err := ceremonydir.Create(dir, ceremonydir.Ext, func(w io.Writer) (err error) {
			fi, err = ceremony.InitPhase1(w, log2)
			return err
		})
		if err != nil {
			return err
		}
		o := fileOut(fi.Header, h, path, fi.Size)
		o.Seconds = time.Since(start).Seconds()
		return printFile(c, o)
	case 2:
		circuit, err := ceremonyCircuit(c)
		if err != nil {
			return err
		}
		ch, err := loadChain(c)
		if err != nil {
			return err
		}
		if ch.Sealed1 == nil {
			return fmt.Errorf("%s has no sealed phase 1: run `veritensor ceremony seal` first", dir)
		}
		if len(ch.Phase2) > 0 {
			return fmt.Errorf("%s already holds the phase 2 of %s", dir, c.String("arch"))
		}
		if ch.Sealed1.Header.Log2 < circuit.Log2 {
			return fmt.Errorf("%s has %d constraints and needs a phase 1 of 2^%d; this one is 2^%d", c.String("arch"), circuit.NbConstraints, circuit.Log2, ch.Sealed1.Header.Log2)
		}
		f, err := os.Open(ch.Sealed1.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(os.Stderr, "computing the circuit's evaluations on the phase-1 powers (once per circuit; slow: Lagrange bases over curve points)\n")
		var fi ceremony.FileInfo
		h, path, err := ceremonydir.Create(dir, ceremonydir.Ext, func(w io.Writer) (err error) {
			fi, err = ceremony.InitPhase2(w, circuit, f, ceremonyProgress())
			return err
		})
		if err != nil {
			return err
		}
		o := fileOut(fi.Header, h, path, fi.Size)
		o.Seconds = time.Since(start).Seconds()
		return printFile(c, o)
	}
	return fmt.Errorf("--phase %d: want 1 or 2", c.Int("phase"))
}

func ceremonyContribute(c *cli.Context) error {
	ch, err := loadChain(c)
	if err != nil {
		return err
	}
	prev, err := ch.Latest()
	if err != nil {
		return err
	}
	f, err := os.Open(prev.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	var fi ceremony.FileInfo
	h, path, err := ceremonydir.Create(ch.Dir, ceremonydir.Ext, func(w io.Writer) (err error) {
		fi, err = ceremony.Contribute(w, f, ceremonyProgress())
		return err
	})
	if err != nil {
		return err
	}
	o := fileOut(fi.Header, h, path, fi.Size)
	o.Seconds = time.Since(start).Seconds()
	return printFile(c, o)
}

// parseBeacon reads --beacon, or derives it from --block-hash.
func parseBeacon(c *cli.Context, phase ceremony.Phase) ([]byte, error) {
	switch {
	case c.IsSet("beacon") && c.IsSet("block-hash"):
		return nil, errors.New("give --beacon or --block-hash, not both")
	case c.IsSet("beacon"):
		b, err := hex.DecodeString(c.String("beacon"))
		if err != nil || len(b) == 0 || len(b) > ceremony.MaxBeaconSize {
			return nil, fmt.Errorf("--beacon: want 1..%d bytes of hex", ceremony.MaxBeaconSize)
		}
		return b, nil
	case c.IsSet("block-hash"):
		bh, err := hex.DecodeString(c.String("block-hash"))
		if err != nil || len(bh) == 0 {
			return nil, errors.New("--block-hash: want hex")
		}
		if !c.IsSet("chain-id") || !c.IsSet("ceremony-id") {
			return nil, errors.New("--block-hash needs --chain-id and --ceremony-id")
		}
		return ceremony.Beacon(c.String("chain-id"), c.Uint64("ceremony-id"), phase, bh), nil
	}
	return nil, errors.New("--beacon or --block-hash is required (the beacon must be unpredictable when the last contribution is made: take it from a later block)")
}

type sealOut struct {
	ceremonyFileOut
	PKSHA256 string `json:"proving_key_sha256,omitempty"`
	VKSHA256 string `json:"verifying_key_sha256,omitempty"`
	PKPath   string `json:"proving_key_path,omitempty"`
	VKPath   string `json:"verifying_key_path,omitempty"`
}

func ceremonySeal(c *cli.Context) error {
	ch, err := loadChain(c)
	if err != nil {
		return err
	}
	start := time.Now()
	progress := ceremonyProgress()
	if ch.Sealed1 == nil {
		if len(ch.Phase1) < 2 {
			return errors.New("phase 1 has no contribution to seal")
		}
		beacon, err := parseBeacon(c, ceremony.Phase1)
		if err != nil {
			return err
		}
		var fi ceremony.FileInfo
		h, path, err := ceremonydir.Create(ch.Dir, ceremonydir.Ext, func(w io.Writer) (err error) {
			fi, err = ceremony.SealPhase1(w, ch.Transcript(nil, nil).Phase1, beacon, progress)
			return err
		})
		if err != nil {
			return err
		}
		o := fileOut(fi.Header, h, path, fi.Size)
		o.Beacon, o.Seconds = hex.EncodeToString(beacon), time.Since(start).Seconds()
		return render(c, sealOut{ceremonyFileOut: o}, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "phase 1 sealed with beacon %s\nwritten to %s\nsha256 %s\n", o.Beacon, path, o.SHA256)
			return err
		})
	}
	if ch.Sealed2 != nil {
		return errors.New("the ceremony is already sealed")
	}
	if len(ch.Phase2) < 2 {
		return errors.New("phase 2 has not begun or has no contribution to seal")
	}
	circuit, err := ceremonyCircuit(c)
	if err != nil {
		return err
	}
	beacon, err := parseBeacon(c, ceremony.Phase2)
	if err != nil {
		return err
	}
	var fi ceremony.FileInfo
	var keys *ceremony.Keys
	h, path, err := ceremonydir.Create(ch.Dir, ceremonydir.Ext, func(w io.Writer) (err error) {
		fi, keys, err = ceremony.SealPhase2(w, circuit, ch.Sealed1.Open(), ch.Transcript(nil, nil).Phase2, beacon, progress)
		return err
	})
	if err != nil {
		return err
	}
	o := sealOut{ceremonyFileOut: fileOut(fi.Header, h, path, fi.Size)}
	o.Beacon = hex.EncodeToString(beacon)
	for _, k := range []struct {
		b    []byte
		ext  string
		hash *string
		path *string
	}{{keys.PK, ceremonydir.PKExt, &o.PKSHA256, &o.PKPath}, {keys.VK, ceremonydir.VKExt, &o.VKSHA256, &o.VKPath}} {
		kh, kp, err := ceremonydir.Create(ch.Dir, k.ext, func(w io.Writer) error { _, err := w.Write(k.b); return err })
		if err != nil {
			return err
		}
		*k.hash, *k.path = hex.EncodeToString(kh[:]), kp
	}
	o.Seconds = time.Since(start).Seconds()
	return render(c, o, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "phase 2 of %s sealed with beacon %s\nsealed file    %s\nproving key    %s\nverifying key  %s\n",
			circuit.Arch, o.Beacon, path, o.PKPath, o.VKPath)
		return err
	})
}

type verifyOut struct {
	OK         bool              `json:"ok"`
	Arch       string            `json:"arch"`
	CircuitID  string            `json:"circuit_id"`
	Transcript string            `json:"transcript_id,omitempty"`
	Beacon1    string            `json:"beacon1"`
	Beacon2    string            `json:"beacon2"`
	Files      []ceremonyFileOut `json:"files"`
	PKSHA256   string            `json:"proving_key_sha256,omitempty"`
	VKSHA256   string            `json:"verifying_key_sha256,omitempty"`
	Error      string            `json:"error,omitempty"`
	BadPhase   int               `json:"bad_phase,omitempty"`
	BadIndex   int               `json:"bad_index,omitempty"`
	BadFile    string            `json:"bad_file,omitempty"`
	Cached     bool              `json:"cached,omitempty"`
	Seconds    float64           `json:"seconds"`
}

// claimedBeacon is the beacon a sealed file records, or flag's value.
func claimedBeacon(c *cli.Context, flag string, sealed *ceremonydir.Entry) ([]byte, error) {
	if c.IsSet(flag) {
		b, err := hex.DecodeString(c.String(flag))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("--%s: want hex", flag)
		}
		return b, nil
	}
	if sealed == nil {
		return nil, fmt.Errorf("no sealed file to take the beacon from: give --%s", flag)
	}
	f, err := os.Open(sealed.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	_, b, err := ceremony.ReadSealedBeacon(f)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "note: %s is the beacon %s claims; check it against the chain (or pass --%s)\n", hex.EncodeToString(b), filepath.Base(sealed.Path), flag)
	return b, nil
}

func ceremonyVerify(c *cli.Context) error {
	if ceremonyLiveVerify != nil && c.IsSet("subnet") {
		return ceremonyLiveVerify(c)
	}
	circuit, err := ceremonyCircuit(c)
	if err != nil {
		return err
	}
	// The transcript as it is, whatever circuit its phase 2 is for (Verify
	// names a wrong one); --arch chooses only when several are present.
	ch, err := ceremonydir.Load(c.String("dir"), nil)
	if err != nil {
		ch, err = loadChain(c)
	}
	if err != nil {
		return err
	}
	b1, err := claimedBeacon(c, "beacon1", ch.Sealed1)
	if err != nil {
		return err
	}
	b2, err := claimedBeacon(c, "beacon2", ch.Sealed2)
	if err != nil {
		return err
	}
	start := time.Now()
	out := verifyOut{Arch: circuit.Arch.String(), CircuitID: hex.EncodeToString(circuit.ID[:]),
		Beacon1: hex.EncodeToString(b1), Beacon2: hex.EncodeToString(b2)}
	var hashes [][32]byte
	for _, e := range ch.Entries() {
		out.Files = append(out.Files, fileOut(e.Header, e.Hash, e.Path, e.Size))
		hashes = append(hashes, e.Hash)
	}
	run := func() (*ceremony.Result, error) {
		return ceremony.Verify(circuit, ch.Transcript(b1, b2), ceremonyProgress())
	}
	var res *ceremony.Result
	if c.Bool("cache") && !c.Bool("store") {
		vc, err := ceremonyverify.NewCache("")
		if err != nil {
			return err
		}
		var v *ceremonyverify.Verdict
		v, res, err = vc.Verify(circuit.ID, hashes, b1, b2, run)
		if v != nil {
			out.Transcript, out.Cached = v.Transcript, res == nil
			out.PKSHA256, out.VKSHA256 = v.PKHash, v.VKHash
		}
		return finishVerify(c, out, err, start)
	}
	res, err = run()
	if err == nil {
		id := res.ID(b1, b2)
		out.Transcript = hex.EncodeToString(id[:])
		out.PKSHA256, out.VKSHA256 = hex.EncodeToString(res.Keys.PKHash[:]), hex.EncodeToString(res.Keys.VKHash[:])
		if c.Bool("store") {
			err = storeCeremonyKeys(c, circuit, res.Keys)
		}
	}
	return finishVerify(c, out, err, start)
}

// storeCeremonyKeys puts a verified transcript's keys in the --keys-dir
// cache, under the single circuit's entry of its scheme or the batch
// circuit's.
func storeCeremonyKeys(c *cli.Context, circuit *ceremony.Circuit, k *ceremony.Keys) error {
	kc, err := keycache.New(c.String("keys-dir"))
	if err != nil {
		return err
	}
	if circuit.Batch > 0 {
		_, err = kc.StoreBatch(circuit.Arch, circuit.Batch, k.PK, k.VK)
	} else {
		_, err = kc.StoreScheme(circuit.Scheme, circuit.Arch, k.PK, k.VK)
	}
	return err
}

func finishVerify(c *cli.Context, out verifyOut, err error, start time.Time) error {
	out.Seconds = time.Since(start).Seconds()
	out.OK = err == nil
	var fe *ceremony.Error
	if err != nil {
		out.Error = err.Error()
		if errors.As(err, &fe) {
			out.BadPhase, out.BadIndex, out.BadFile = int(fe.Phase), fe.Index, hex.EncodeToString(fe.Hash[:])
		}
	}
	rerr := render(c, out, func(w io.Writer) error {
		for _, f := range out.Files {
			fmt.Fprintf(w, "phase %d %-12s %2d  %s\n", f.Phase, f.Kind, f.Index, f.SHA256)
		}
		if !out.OK {
			_, err := fmt.Fprintf(w, "FAILED: %s\n", out.Error)
			return err
		}
		_, err := fmt.Fprintf(w, "OK: %s (circuit %s)\nproving key sha256   %s\nverifying key sha256 %s\n(%.1fs%s)\n",
			out.Arch, out.CircuitID, out.PKSHA256, out.VKSHA256, out.Seconds, map[bool]string{true: ", cached verdict"}[out.Cached])
		return err
	})
	if err != nil {
		return err
	}
	return rerr
}

func ceremonyInspect(c *cli.Context) error {
	var entries []ceremonydir.Entry
	if c.NArg() > 0 {
		path := c.Args().First()
		ch, err := ceremonydir.Load(filepath.Dir(path), nil)
		if err != nil {
			return err
		}
		for _, e := range ch.Entries() {
			if filepath.Base(e.Path) == filepath.Base(path) {
				entries = append(entries, e)
			}
		}
		if len(entries) == 0 {
			return fmt.Errorf("%s is not part of the transcript in %s", path, filepath.Dir(path))
		}
	} else {
		ch, err := loadChain(c)
		if err != nil {
			return err
		}
		entries = ch.Entries()
	}
	var out []ceremonyFileOut
	for _, e := range entries {
		o := fileOut(e.Header, e.Hash, e.Path, e.Size)
		if e.Header.Kind == ceremony.KindSealed {
			if f, err := os.Open(e.Path); err == nil {
				if _, b, err := ceremony.ReadSealedBeacon(f); err == nil {
					o.Beacon = hex.EncodeToString(b)
				}
				f.Close()
			}
		}
		out = append(out, o)
	}
	return render(c, out, func(w io.Writer) error {
		if len(out) == 0 {
			_, err := fmt.Fprintln(w, "no transcript files")
			return err
		}
		for _, o := range out {
			fmt.Fprintf(w, "phase %d %-12s %2d  2^%-2d %10d bytes  %s", o.Phase, o.Kind, o.Index, o.Log2, o.Bytes, o.SHA256)
			if o.Beacon != "" {
				fmt.Fprintf(w, "  beacon %s", o.Beacon)
			}
			fmt.Fprintln(w)
		}
		return nil
	})
}
