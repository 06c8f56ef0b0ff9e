package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/keys"
)

// A key argument (--hotkey, --to, a HOTKEY argument) is either the name of a
// key in <home>/keys or an address (40 hex digits), on every command.

// isAddress reports whether s is written as an address (40 hex digits).
func isAddress(s string) bool {
	if len(s) != 2*chain.AddressLen {
		return false
	}
	_, err := chain.ParseAddress(s)
	return err == nil
}

// keyAddress resolves a key argument to an address: an address as is, a
// name through the keyring of --home.
func keyAddress(c *cli.Context, flag, s string) (chain.Address, error) {
	if isAddress(s) {
		return chain.ParseAddress(s)
	}
	k, err := keyring(c).Get(s)
	if err != nil {
		return chain.Address{}, fmt.Errorf("%s %q: not an address (40 hex digits), and no key of that name in %s (--home)", flag, s, keyring(c).Dir)
	}
	return k.Address(), nil
}

// privateKey resolves a key argument to a key of the keyring of --home, by
// name or by address (for a transaction that key must sign).
func privateKey(c *cli.Context, flag, s string) (keys.Key, error) {
	if !isAddress(s) {
		return keyring(c).Get(s)
	}
	addr, _ := chain.ParseAddress(s)
	ks, err := keyring(c).List()
	if err != nil {
		return keys.Key{}, err
	}
	for _, k := range ks {
		if k.Address() == addr {
			return k, nil
		}
	}
	return keys.Key{}, fmt.Errorf("%s %s: no key with this address in %s/keys (this transaction needs its signature)", flag, strings.ToUpper(s), c.String("home"))
}
