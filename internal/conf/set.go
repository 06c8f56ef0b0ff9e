package conf

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ErrUnknownKey reports a key that the config struct does not name.
var ErrUnknownKey = errors.New("unknown key")

// ValueError reports a value that does not parse as its key's type. Its
// text is `key = "value": cause`, the cause saying in words what the key
// takes ("want a whole number in 0..65535"), never a Go type.
type ValueError struct {
	Key, Value string
	Err        error
	// json: Value is JSON text, printed as is.
	json bool
}

func (e *ValueError) Error() string {
	if e.json {
		return fmt.Sprintf("%s = %s: %v", e.Key, e.Value, e.Err)
	}
	return fmt.Sprintf("%s = %q: %v", e.Key, e.Value, e.Err)
}

// Unwrap returns the parse error.
func (e *ValueError) Unwrap() error { return e.Err }

// Keys are the keys of the struct dst points to: the names of its `json`
// tags, in field order (fields tagged "-" or untagged are not keys).
func Keys(dst any) []string {
	t := structType(dst)
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if k := tagKey(t.Field(i)); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// Set sets the field of the struct dst points to whose `json` tag is key,
// from its text form: a string as is, a bool, integer or float as strconv
// parses it (an int as strconv.Atoi does), an encoding.TextUnmarshaler
// (such as Duration) by its UnmarshalText. An unknown key is an error
// wrapping ErrUnknownKey that lists the known ones; a bad value is a
// *ValueError and leaves the field unchanged. dst must be a non-nil
// pointer to a struct (else Set panics: a programming error, never input).
func Set(dst any, key, value string) error {
	v := reflect.ValueOf(dst)
	t := structType(dst)
	for i := 0; i < t.NumField(); i++ {
		if tagKey(t.Field(i)) == key && key != "" {
			if err := setField(v.Elem().Field(i), value); err != nil {
				return &ValueError{Key: key, Value: value, Err: err}
			}
			return nil
		}
	}
	return unknownKey(dst, key)
}

func unknownKey(dst any, key string) error {
	return fmt.Errorf("%w %q (known: %s)", ErrUnknownKey, key, strings.Join(Keys(dst), ", "))
}

// field is the field of the struct dst points to whose key is key.
func field(dst any, key string) (reflect.Value, bool) {
	t := structType(dst)
	for i := 0; i < t.NumField(); i++ {
		if tagKey(t.Field(i)) == key && key != "" {
			return reflect.ValueOf(dst).Elem().Field(i), true
		}
	}
	return reflect.Value{}, false
}

// want says in words what a value of type t looks like.
func want(t reflect.Type) error {
	switch {
	case t == reflect.TypeFor[Duration]():
		return errors.New(`want a duration such as "30s", "1m30s" or "2h"`)
	}
	switch t.Kind() {
	case reflect.Bool:
		return errors.New("want true or false")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if b := t.Bits(); b < 64 {
			return fmt.Errorf("want a whole number in %d..%d", -(int64(1) << (b - 1)), int64(1)<<(b-1)-1)
		}
		return errors.New("want a whole number")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if b := t.Bits(); b < 64 {
			return fmt.Errorf("want a whole number in 0..%d", uint64(1)<<b-1)
		}
		return errors.New("want a whole number >= 0")
	case reflect.Float32, reflect.Float64:
		return errors.New("want a number")
	case reflect.String:
		return errors.New("want text")
	}
	return errors.New("not a valid value")
}

func structType(dst any) reflect.Type {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("conf: want a pointer to a struct, got %T", dst))
	}
	return t.Elem()
}

// tagKey is the key a field is set by: its exported `json` tag name, or "".
func tagKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func setField(f reflect.Value, value string) error {
	if f.Addr().Type().Implements(textUnmarshaler) {
		if err := f.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(value)); err != nil {
			if f.Type() == reflect.TypeFor[Duration]() {
				return want(f.Type())
			}
			return err
		}
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(value)
	case reflect.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return want(f.Type())
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(value, 10, f.Type().Bits())
		if err != nil {
			return want(f.Type())
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(value, 10, f.Type().Bits())
		if err != nil {
			return want(f.Type())
		}
		f.SetUint(n)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(value, f.Type().Bits())
		if err != nil {
			return want(f.Type())
		}
		f.SetFloat(x)
	default:
		return errors.New("this key cannot be set from text")
	}
	return nil
}
