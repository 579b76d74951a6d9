// Package kv gives a Go HTTP handler built with GOOS=js the key-value stores of the host
// that serves it: wasi:keyvalue stores on WASI hosts after wasm-server-bindgen rewrites the
// module (wasm-server: `--kv NAME` or `kv = [...]` in a manifest), in-memory stores under
// shims/gojs/node/serve.mjs, and in-memory stores in a native build.
//
// Using this package is what tells `wasm-server-bindgen rewrite` to give the component the
// key-value binding (it then imports wasi:keyvalue).
//
//	store, err := kv.Open("notes")
//	err = store.Set("a", []byte("hello"))
//	value, ok, err := store.Get("a")
//	n, err := store.Increment("visits", 1)
package kv

import "errors"

// ErrUnavailable: the host gives this program no key-value stores at all (a module rewritten
// without them, or a host without the binding).
var ErrUnavailable = errors.New("kv: the host offers no key-value stores to this program (wasm-server-bindgen rewrite gives them to HTTP handlers that use this package, or with --kv; under node use shims/gojs/node/serve.mjs)")

// Store is one opened store.
type Store struct {
	name string
	impl store
}

// The operations a backend provides (JS binding or memory).
type store interface {
	get(key string) ([]byte, bool, error)
	set(key string, value []byte) error
	delete(key string) error
	exists(key string) (bool, error)
	keys(prefix string) ([]string, error)
	increment(key string, delta int64) (int64, error)
}

// Open opens the store called name; the host decides which names a program may open.
func Open(name string) (*Store, error) {
	impl, err := open(name)
	if err != nil {
		return nil, err
	}
	return &Store{name: name, impl: impl}, nil
}

// Name is the name the store was opened by.
func (s *Store) Name() string { return s.name }

// Get returns the value of key; ok is false when the key is absent.
func (s *Store) Get(key string) (value []byte, ok bool, err error) { return s.impl.get(key) }

// Set stores value under key.
func (s *Store) Set(key string, value []byte) error { return s.impl.set(key, value) }

// Delete removes key (absent keys are not an error).
func (s *Store) Delete(key string) error { return s.impl.delete(key) }

// Exists reports whether key has a value.
func (s *Store) Exists(key string) (bool, error) { return s.impl.exists(key) }

// Keys returns the keys that start with prefix, sorted.
func (s *Store) Keys(prefix string) ([]string, error) { return s.impl.keys(prefix) }

// Increment adds delta (≥ 0) to the counter at key (absent: 0) atomically and returns the new
// value. Counters are stored as decimal text.
func (s *Store) Increment(key string, delta int64) (int64, error) {
	if delta < 0 {
		return 0, errors.New("kv: Increment needs a delta ≥ 0")
	}
	return s.impl.increment(key, delta)
}
