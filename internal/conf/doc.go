// Package conf layers a daemon's configuration: defaults, then a file
// (Load), then the flags given on the command line (Set), over a plain
// struct whose `json` tags name its keys (the flag names as well).
//
// A config struct's fields are strings, booleans, integers, floats, types
// implementing encoding.TextUnmarshaler (Duration among them), or named
// types of those kinds; Set and Load reject keys the struct does not name.
package conf
