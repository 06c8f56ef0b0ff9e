package conf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrSyntax reports a config file line that is not `key = value`, or a
// quoted value that does not unquote.
var ErrSyntax = errors.New("bad line")

// LoadJSON reads the JSON object in the file at path into the struct dst
// points to, over the values already there (the defaults); keys are the
// `json` tags and unknown keys are errors. Errors wrap the os or json
// cause; JSON errors name the file.
func LoadJSON(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return decodeJSON(path, data, dst)
}

func decodeJSON(path string, data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Load reads the file at path into the struct dst points to, over the
// values already there (the defaults). The file is either one JSON object
// (as LoadJSON reads it) or "key = value"
// lines, a TOML subset: blank lines and '#' comments are skipped, a value
// may be double-quoted (Go string syntax) or else end at " #", and each
// pair goes through Set. Errors name the file (and line), and wrap the
// os, json, ErrSyntax, ErrUnknownKey or *ValueError cause; on error dst
// may hold the pairs read before the bad one.
func Load(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return decodeJSON(path, t, dst)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("%s:%d: %w: want key = value", path, n, ErrSyntax)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			uq, err := strconv.Unquote(v)
			if err != nil {
				return fmt.Errorf("%s:%d: %w: %w", path, n, ErrSyntax, err)
			}
			v = uq
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		if err := Set(dst, strings.TrimSpace(k), v); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
