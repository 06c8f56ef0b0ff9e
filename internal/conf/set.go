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
// text is `key = "value": cause`.
type ValueError struct {
	Key, Value string
	Err        error
}

func (e *ValueError) Error() string { return fmt.Sprintf("%s = %q: %v", e.Key, e.Value, e.Err) }

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
	return fmt.Errorf("%w %q (known: %s)", ErrUnknownKey, key, strings.Join(Keys(dst), ", "))
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
		return f.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(value))
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(value)
	case reflect.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(value)
		if err != nil {
			return err
		}
		f.SetInt(int64(n))
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(value, 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(value, 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetUint(n)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(value, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetFloat(x)
	default:
		return fmt.Errorf("conf: field of type %s cannot be set from text", f.Type())
	}
	return nil
}
