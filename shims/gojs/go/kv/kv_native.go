//go:build !(js && wasm)

package kv

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Native builds (the benchmark ceiling, local runs): stores in memory, one per name, shared by
// the whole process.
var (
	mu     sync.Mutex
	stores = map[string]*memStore{}
)

func open(name string) (store, error) {
	mu.Lock()
	defer mu.Unlock()
	s, ok := stores[name]
	if !ok {
		s = &memStore{m: map[string][]byte{}}
		stores[name] = s
	}
	return s, nil
}

type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStore) get(key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return append([]byte(nil), v...), ok, nil
}

func (s *memStore) set(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), value...)
	return nil
}

func (s *memStore) delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

func (s *memStore) exists(key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[key]
	return ok, nil
}

func (s *memStore) keys(prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *memStore) increment(key string, delta int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := int64(0)
	if v, ok := s.m[key]; ok {
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return 0, errors.New("the value is not a counter")
		}
	}
	n += delta
	s.m[key] = []byte(strconv.FormatInt(n, 10))
	return n, nil
}
