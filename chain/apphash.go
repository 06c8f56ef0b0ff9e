package chain

// AppHashVersion identifies the app hash definition (docs/protocol.md, "App
// hash"). Version 1 was a hash chain over change sets; version 2 is the root
// of an IAVL tree over the whole state. Version 3 is version 2's tree over
// protocol version 3's state (sntask/ keys, TaskSpec task_hash and
// proofless): the tree is the same, its inputs differ.
const AppHashVersion = 3

// The app hash after a block is the root hash of an IAVL tree
// (github.com/cosmos/iavl v1, ics23 IavlSpec) holding every state key with its
// value, at tree version = block height. The genesis app hash (InitChain) is
// the working root after the genesis state was written. An empty tree's root
// is SHA-256 of the empty string. The tree is updated per block with the
// block's change set (Store.Stage), in O(changes · log n), and every key has an
// ics23 existence or absence proof against it (prove.go).
//
// Because an IAVL tree's shape depends on the order of its updates, the tree
// is persisted (Store) rather than rebuilt from the state; two nodes fed the
// same blocks apply the same sorted change sets and reach the same root.
