package conf

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type mode string

// cfg has a field of every kind Set supports, plus fields that are not keys.
type cfg struct {
	Name    string   `json:"name"`
	Mode    mode     `json:"mode"`
	On      bool     `json:"on"`
	N       int      `json:"n"`
	I8      int8     `json:"i8"`
	I64     int64    `json:"i64"`
	U16     uint16   `json:"u16"`
	U64     uint64   `json:"u64"`
	F32     float32  `json:"f32"`
	F64     float64  `json:"f64,omitempty"`
	Wait    Duration `json:"wait"`
	Skip    string   `json:"-"`
	NoTag   string
	private string // unexported: not a key
	List    []int  `json:"list"`
}

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKeys(t *testing.T) {
	want := []string{"name", "mode", "on", "n", "i8", "i64", "u16", "u64", "f32", "f64", "wait", "list"}
	if got := Keys(&cfg{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("Keys = %v, want %v", got, want)
	}
}

func TestSetEveryKind(t *testing.T) {
	var c cfg
	for _, kv := range [][2]string{{"name", "a b"}, {"mode", "lazy"}, {"on", "true"}, {"n", "-7"}, {"i8", "-128"},
		{"i64", "9000000000"}, {"u16", "65535"}, {"u64", "18446744073709551615"}, {"f32", "0.5"}, {"f64", "2.25"},
		{"wait", "1m30s"}} {
		if err := Set(&c, kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%s, %s): %v", kv[0], kv[1], err)
		}
	}
	want := cfg{Name: "a b", Mode: "lazy", On: true, N: -7, I8: -128, I64: 9000000000, U16: 65535,
		U64: 18446744073709551615, F32: 0.5, F64: 2.25, Wait: Duration(90 * time.Second)}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v, want %+v", c, want)
	}
}

func TestSetErrors(t *testing.T) {
	for _, kv := range [][2]string{{"on", "maybe"}, {"n", "x"}, {"n", "1.5"}, {"i8", "128"}, {"u16", "65536"},
		{"u64", "-1"}, {"f64", "pi"}, {"wait", "soon"}, {"wait", "30"}, {"list", "1,2"}} {
		c := cfg{N: 3, I8: 4, U16: 5, F64: 6, Wait: Duration(time.Second)}
		before := c
		err := Set(&c, kv[0], kv[1])
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Key != kv[0] || ve.Value != kv[1] || !strings.HasPrefix(err.Error(), kv[0]+" = ") {
			t.Errorf("Set(%s, %s): %v, want a ValueError naming the key", kv[0], kv[1], err)
		}
		if !reflect.DeepEqual(c, before) {
			t.Errorf("Set(%s, %s) changed the config on error: %+v", kv[0], kv[1], c)
		}
	}
	var c cfg
	for _, k := range []string{"colour", "Skip", "NoTag", "private", "-", ""} {
		err := Set(&c, k, "x")
		if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "known: name, mode,") {
			t.Errorf("Set(%q): %v, want ErrUnknownKey listing the keys", k, err)
		}
	}
	if !reflect.DeepEqual(c, cfg{}) {
		t.Fatalf("unknown keys changed the config: %+v", c)
	}
}

func TestDurationForms(t *testing.T) {
	var d struct {
		A Duration `json:"a"`
		B Duration `json:"b"`
	}
	if err := json.Unmarshal([]byte(`{"a": "1m", "b": 90}`), &d); err != nil {
		t.Fatal(err)
	}
	if time.Duration(d.A) != time.Minute || time.Duration(d.B) != 90*time.Second {
		t.Fatalf("got %v %v", d.A, d.B)
	}
	out, err := json.Marshal(d)
	if err != nil || string(out) != `{"a":"1m0s","b":"1m30s"}` {
		t.Fatalf("marshal: %s %v", out, err)
	}
	for _, bad := range []string{`{"a": "soon"}`, `{"a": 1.5}`, `{"a": true}`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil || !strings.Contains(err.Error(), "duration") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if txt, _ := Duration(1500 * time.Millisecond).MarshalText(); string(txt) != "1.5s" {
		t.Fatalf("MarshalText %s", txt)
	}
}

func TestLoadBothFormats(t *testing.T) {
	js := write(t, `{"name": "srv", "mode": "lazy", "on": true, "n": 2, "u16": 7, "f64": 0.25, "wait": 45}`)
	kv := write(t, `# a comment

name = "srv"
mode = lazy # trailing comment
on = true
  n = 2  
u16=7
f64 = 0.25
wait = 45s
`)
	for _, p := range []string{js, kv} {
		c := cfg{Name: "default", I64: 11, Wait: Duration(time.Second)}
		if err := Load(p, &c); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		want := cfg{Name: "srv", Mode: "lazy", On: true, N: 2, I64: 11, U16: 7, F64: 0.25, Wait: Duration(45 * time.Second)}
		if !reflect.DeepEqual(c, want) {
			t.Fatalf("%s: got %+v, want %+v", p, c, want)
		}
	}
	// JSON null keeps the default, as encoding/json does.
	c0 := cfg{Name: "default", N: 4}
	if err := Load(write(t, `{"name": null, "n": 5}`), &c0); err != nil || c0.Name != "default" || c0.N != 5 {
		t.Fatalf("null: %+v %v", c0, err)
	}
	// A quoted value keeps its '#' and spaces; an empty file changes nothing.
	c := cfg{N: 5}
	if err := Load(write(t, `name = " a # b "`), &c); err != nil || c.Name != " a # b " {
		t.Fatalf("quoted: %q %v", c.Name, err)
	}
	if err := Load(write(t, "\n# only comments\n"), &c); err != nil || c.N != 5 {
		t.Fatalf("empty: %+v %v", c, err)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		is   error
		say  string
	}{
		"unknown json key":  {"{\n  \"name\": \"x\",\n  \"nmae\": \"x\"}", ErrUnknownKey, `:3:3: unknown key "nmae" (known: name,`},
		"bad json":          {`{"name":`, ErrSyntax, ":1:9: syntax error: JSON: the object is not closed"},
		"json syntax":       {"{\n\"n\": 1,\n}", ErrSyntax, ":3:1: syntax error: JSON: invalid character '}'"},
		"json not object":   {"[1]", ErrSyntax, ":1:1: syntax error: want one JSON object"},
		"json trailing":     {`{"n": 1} {"n": 2}`, ErrSyntax, ":1:10: syntax error: text after the JSON object"},
		"json wrong type":   {"{\"name\": \"a\",\n \"n\": \"two\"}", nil, `:2:2: n = "two": want a whole number`},
		"json range":        {`{"u16": 70000}`, nil, `:1:2: u16 = 70000: want a whole number in 0..65535`},
		"json bad duration": {`{"wait": "soon"}`, nil, `:1:2: wait = "soon": want a duration such as "30s"`},
		"unknown kv key":    {"name = a\nnmae = x\n", ErrUnknownKey, ":2:1: unknown key \"nmae\""},
		"no equals":         {"name\n", ErrSyntax, ":1:1: syntax error: want key = value"},
		"bad quote":         {`name = "a\q"`, ErrSyntax, ":1:8:"},
		"bad number":        {"n = many\n", nil, `:1:5: n = "many": want a whole number`},
		"bad duration":      {"  wait =   soon\n", nil, `:1:12: wait = "soon": want a duration such as "30s"`},
		"bad bool":          {"on = yes\n", nil, `:1:6: on = "yes": want true or false`},
	} {
		t.Run(name, func(t *testing.T) {
			p := write(t, tc.text)
			var c cfg
			err := Load(p, &c)
			if err == nil || !strings.HasPrefix(err.Error(), p) || !strings.Contains(err.Error(), tc.say) {
				t.Fatalf("got %v, want an error naming %s and %q", err, p, tc.say)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("got %v, want %v", err, tc.is)
			}
			for _, goName := range []string{"Go value", "Go struct", "of type", "strconv.", "json: "} {
				if strings.Contains(err.Error(), goName) {
					t.Fatalf("error %q shows Go internals (%q)", err, goName)
				}
			}
		})
	}
	var ve *ValueError
	if err := Load(write(t, "u16 = 70000\n"), &cfg{}); !errors.As(err, &ve) || ve.Key != "u16" {
		t.Fatalf("range: %v", err)
	}
	if err := Load(filepath.Join(t.TempDir(), "missing"), &cfg{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestNotAStructPointerPanics(t *testing.T) {
	for _, dst := range []any{cfg{}, new(int), nil} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Keys(%T) did not panic", dst)
				}
			}()
			Keys(dst)
		}()
	}
}

func TestLoadJSONOnly(t *testing.T) {
	c := cfg{N: 5, Name: "default"}
	if err := LoadJSON(write(t, `{"n": 6}`), &c); err != nil || c.N != 6 || c.Name != "default" {
		t.Fatalf("json: %+v %v", c, err)
	}
	p := write(t, "n = 7\n")
	if err := LoadJSON(p, &c); err == nil || !strings.HasPrefix(err.Error(), p) || c.N != 6 {
		t.Fatalf("key = value accepted by LoadJSON: %+v %v", c, err)
	}
	if err := LoadJSON(write(t, `{"nmae": 1}`), &c); err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("unknown key: %v", err)
	}
	if err := LoadJSON(filepath.Join(t.TempDir(), "missing"), &c); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// FuzzLoad: any file content either loads or fails with an error that names
// the file; it never panics.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{`{"name": "x", "n": 2, "wait": "1s"}`, "name = a\nn = 3\n", `{"n": `, "[1]", `{"u16": 70000}`, "on = yes", ""} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c cfg
		if err := load("f", data, &c); err != nil && !strings.HasPrefix(err.Error(), "f:") {
			t.Fatalf("error %q does not name the file", err)
		}
	})
}
