//go:build js && wasm

package httpserve

import (
	"errors"
	"syscall/js"
)

// await blocks the calling goroutine until promise settles. Go returns to the JS event loop
// meanwhile, so the host can make progress.
func await(promise js.Value) (js.Value, error) {
	type outcome struct {
		v   js.Value
		err error
	}
	ch := make(chan outcome, 1)
	var then, catch js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		then.Release()
		catch.Release()
		ch <- outcome{v: arg0(args)}
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		then.Release()
		catch.Release()
		ch <- outcome{err: jsError(arg0(args))}
		return nil
	})
	promise.Call("then", then, catch)
	o := <-ch
	return o.v, o.err
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

func jsError(v js.Value) error {
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		return errors.New(v.Get("message").String())
	}
	return errors.New(v.Call("toString").String())
}
