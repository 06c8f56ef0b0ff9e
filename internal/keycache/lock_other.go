//go:build !unix

package keycache

// lockFile is a no-op where flock is unavailable: concurrent processes may
// each run a setup, and the atomic renames still leave one complete entry.
func lockFile(string, func()) (func(), error) { return func() {}, nil }
