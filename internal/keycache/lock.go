package keycache

// Lock takes the same exclusive, process-crash-safe file lock the cache uses
// for setups, for other machine-wide caches (internal/ceremonyverify's
// verdicts): waiting is called once if another holder makes it block.
func Lock(path string, waiting func()) (unlock func(), err error) { return lockFile(path, waiting) }
