//go:build js && wasm

package kv

import (
	"errors"
	"fmt"
	"syscall/js"
)

// open reaches `globalThis.context.kv.open(name)`, which the serving host defines (see
// shims/js-web/src/kv.rs and shims/gojs/node/serve.mjs for the JS surface).
func open(name string) (store, error) {
	context := js.Global().Get("context")
	if context.Type() != js.TypeObject || context.Get("kv").Type() != js.TypeObject {
		return nil, ErrUnavailable
	}
	var v js.Value
	if err := catch(func() { v = context.Get("kv").Call("open", name) }); err != nil {
		return nil, err
	}
	return jsStore{v}, nil
}

type jsStore struct{ v js.Value }

// catch turns a JS exception (a panic with a js.Error in syscall/js) into an error.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(js.Error); ok {
				err = errors.New(e.Get("message").String())
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

func (s jsStore) get(key string) (value []byte, ok bool, err error) {
	var v js.Value
	if err := catch(func() { v = s.v.Call("get", key) }); err != nil {
		return nil, false, err
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, false, nil
	}
	value = make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(value, v)
	return value, true, nil
}

func (s jsStore) set(key string, value []byte) error {
	buf := js.Global().Get("Uint8Array").New(len(value))
	js.CopyBytesToJS(buf, value)
	return catch(func() { s.v.Call("set", key, buf) })
}

func (s jsStore) delete(key string) error {
	return catch(func() { s.v.Call("delete", key) })
}

func (s jsStore) exists(key string) (bool, error) {
	var v js.Value
	if err := catch(func() { v = s.v.Call("exists", key) }); err != nil {
		return false, err
	}
	return v.Truthy(), nil
}

func (s jsStore) keys(prefix string) ([]string, error) {
	var v js.Value
	if err := catch(func() { v = s.v.Call("keys", prefix) }); err != nil {
		return nil, err
	}
	keys := make([]string, v.Length())
	for i := range keys {
		keys[i] = v.Index(i).String()
	}
	return keys, nil
}

func (s jsStore) increment(key string, delta int64) (int64, error) {
	var v js.Value
	if err := catch(func() { v = s.v.Call("increment", key, delta) }); err != nil {
		return 0, err
	}
	if v.Type() != js.TypeNumber {
		return 0, fmt.Errorf("kv: increment returned %s, not a number", v.Type())
	}
	return int64(v.Float()), nil
}
