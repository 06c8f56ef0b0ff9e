package conf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
)

// ErrSyntax reports a config file line that is not `key = value`, or a
// quoted value that does not unquote.
var ErrSyntax = errors.New("syntax error")

// LoadJSON reads the JSON object in the file at path into the struct dst
// points to, over the values already there (the defaults); keys are the
// `json` tags and unknown keys are errors. Errors name the file, line and
// column (path:line:col:) and say in words what was wrong; they wrap the
// os error, ErrSyntax, ErrUnknownKey or a *ValueError.
func LoadJSON(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return decodeJSON(path, data, dst)
}

// decodeJSON reads one JSON object key by key, so that every error knows
// its key and position; each value is decoded as the field's type.
func decodeJSON(path string, data []byte, dst any) error {
	at := func(off int64) string { l, c := lineCol(data, off); return fmt.Sprintf("%s:%d:%d", path, l, c) }
	dec := json.NewDecoder(bytes.NewReader(data))
	syntax := func(err error) error {
		// The streaming decoder's offsets are unreliable; a whole-document
		// parse places the error exactly.
		var se *json.SyntaxError
		var whole any
		if errors.As(json.Unmarshal(data, &whole), &se) && se.Offset < int64(len(data)) {
			return fmt.Errorf("%s: %w: JSON: %s", at(se.Offset-1), ErrSyntax, se.Error())
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: %w: JSON: the object is not closed (unexpected end of file)", at(int64(len(data))), ErrSyntax)
		}
		return fmt.Errorf("%s: %w: JSON: %s", at(dec.InputOffset()), ErrSyntax, err.Error())
	}
	start := skipSpace(data, 0)
	tok, err := dec.Token()
	if err != nil {
		return syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s: %w: want one JSON object {\"key\": value, ...}", at(start), ErrSyntax)
	}
	for dec.More() {
		keyAt := skipSpace(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return syntax(err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntax(err)
		}
		f, ok := field(dst, key)
		if !ok {
			return fmt.Errorf("%s: %w", at(keyAt), unknownKey(dst, key))
		}
		if string(raw) == "null" {
			continue // as encoding/json: null leaves the value (the default) as it is
		}
		v := reflect.New(f.Type())
		if err := json.Unmarshal(raw, v.Interface()); err != nil {
			return fmt.Errorf("%s: %w", at(keyAt), &ValueError{Key: key, Value: shorten(string(raw)), Err: want(f.Type()), json: true})
		}
		f.Set(v.Elem())
	}
	if _, err := dec.Token(); err != nil {
		return syntax(err)
	}
	if end := skipSpace(data, dec.InputOffset()); end < int64(len(data)) {
		return fmt.Errorf("%s: %w: text after the JSON object", at(end), ErrSyntax)
	}
	return nil
}

// skipSpace is the offset of the first byte at or after off that is not
// JSON whitespace or a ',' or ':' separator.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

// lineCol is the 1-based line and column (in bytes) of offset off in data.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	return line, int(off) - bytes.LastIndexByte(data[:off], '\n')
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// Load reads the file at path into the struct dst points to, over the
// values already there (the defaults). The file is either one JSON object
// (as LoadJSON reads it) or "key = value"
// lines, a TOML subset: blank lines and '#' comments are skipped, a value
// may be double-quoted (Go string syntax) or else end at " #", and each
// pair goes through Set. Errors name the file, line and column
// (path:line:col:), and wrap the os error, ErrSyntax, ErrUnknownKey or a
// *ValueError; on error dst may hold the pairs read before the bad one.
func Load(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return load(path, data, dst)
}

// load is Load on the file's contents.
func load(path string, data []byte, dst any) error {
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return decodeJSON(path, t, dst)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("%s:%d:%d: %w: want key = value", path, n, indent+1, ErrSyntax)
		}
		valCol := indent + len(k) + 2 + len(v) - len(strings.TrimLeft(v, " \t"))
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			uq, err := strconv.Unquote(v)
			if err != nil {
				return fmt.Errorf("%s:%d:%d: %w: the quoted value does not unquote (Go string syntax)", path, n, valCol, ErrSyntax)
			}
			v = uq
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		key := strings.TrimSpace(k)
		if _, ok := field(dst, key); !ok {
			return fmt.Errorf("%s:%d:%d: %w", path, n, indent+1, unknownKey(dst, key))
		}
		if err := Set(dst, key, v); err != nil {
			return fmt.Errorf("%s:%d:%d: %w", path, n, valCol, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
