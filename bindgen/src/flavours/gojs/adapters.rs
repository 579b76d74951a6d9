//! The generated code inside a rewritten Go module: one adapter per `gojs` import (reading Go's
//! stack frame at `sp + 8 + …` and calling the shim's WIT function), the `cabi_realloc` that
//! lands byte results in Go's own buffers, and the `wasi:cli/run` entry point that drives Go's
//! event loop.
//!
//! Results reach Go memory three ways, all without copies of our own:
//! - scalars are stored into Go's result slots by the adapter;
//! - tuples whose canonical layout matches Go's result slots get those slots as return area;
//! - `list<u8>` results are written by the canonical ABI through `cabi_realloc`, which returns
//!   the Go buffer address the adapter put in the `$dest` global just before the call. The
//!   return area (list pointer and length) then overwrites the Go argument slots the adapter
//!   has already read: Go treats argument slots as the callee's to clobber.

use super::abi::{GoImport, Interface, MODULE};
use super::wit::Contract;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use walrus::ir::{BinaryOp, ExtendedLoad, LoadKind, MemArg, StoreKind, UnaryOp};
use walrus::{FunctionBuilder, FunctionId, GlobalId, InstrSeqBuilder, LocalId, MemoryId, Module, ValType};

/// Where `wasm_exec.js` writes argv and the environment: from 4096 up to Go's first data
/// address, 4096 + 8192.
pub const ARGS_BASE: i32 = 4096;
/// The return area of `prepare-args` (16 bytes), at the top of that reserved block.
pub const ARGS_RETAREA: i32 = 4096 + 8192 - 16;

/// What the generator needs from the Go module.
pub struct GoExports {
    pub run: FunctionId,
    pub resume: FunctionId,
    pub getsp: FunctionId,
    pub memory: MemoryId,
}

/// httpserve's direct request path (see abi::EXPORT_HTTP_BUFFER).
pub struct DirectExports {
    /// (n: i32) -> i32: a Go buffer for n bytes (a request head or a body delivery) and an
    /// 8-byte return area.
    pub buffer: FunctionId,
    /// (id: i32, n: i32): the head is in the buffer; start the handler.
    pub request: FunctionId,
    /// (id: i32, n: i32, kind: i32): a delivery of the request body is in the buffer.
    pub body: FunctionId,
    /// () -> i64: the next record, address << 32 | length; 0 when there is none.
    pub take: FunctionId,
    /// (id: i32): the client has gone away.
    pub cancel: FunctionId,
}

pub struct Generator<'a> {
    module: &'a mut Module,
    contract: &'a Contract,
    go: GoExports,
    /// Where `cabi_realloc` places the next byte result.
    dest: GlobalId,
    /// WIT functions imported so far, by (interface, function).
    wit_imports: BTreeMap<(Interface, &'static str), FunctionId>,
}

impl<'a> Generator<'a> {
    pub fn new(module: &'a mut Module, contract: &'a Contract, go: GoExports) -> Generator<'a> {
        let dest =
            module.globals.add_local(ValType::I32, true, false, walrus::ConstExpr::Value(walrus::ir::Value::I32(0)));
        module.globals.get_mut(dest).name = Some("wsb_realloc_dest".into());
        Generator { module, contract, go, dest, wit_imports: BTreeMap::new() }
    }

    /// The imported WIT function, added on first use with its canonical-ABI core signature.
    fn wit(&mut self, interface: Interface, func: &'static str) -> Result<FunctionId> {
        if let Some(id) = self.wit_imports.get(&(interface, func)) {
            return Ok(*id);
        }
        let sig = self.contract.import_sig(interface.name(), func)?;
        let ty = self.module.types.add(&sig.params, &sig.results);
        let (id, _) = self.module.add_import_func(&interface.import_module(), func, ty);
        self.module.funcs.get_mut(id).name = Some(format!("wsb:{}/{}", interface.name(), func));
        self.wit_imports.insert((interface, func), id);
        Ok(id)
    }

    /// Replaces the imported function `id` (a `gojs` import) with its adapter.
    pub fn replace_import(&mut self, id: FunctionId, import: &GoImport) -> Result<()> {
        // Resolve every WIT function first: the builder closure cannot borrow `self` mutably.
        let call = match import.wit {
            Some((iface, func)) => Some(self.wit(iface, func)?),
            None => None,
        };
        // Only calls into JS can hand control to a Go function and need its result afterwards.
        let take_result = match import.name {
            "syscall/js.valueCall" | "syscall/js.valueInvoke" | "syscall/js.valueNew" => {
                Some(self.wit(Interface::Js, "take-callback-result")?)
            }
            _ => None,
        };
        let scratch = [self.module.locals.add(ValType::I32), self.module.locals.add(ValType::I32)];
        let ctx = Ctx {
            scratch,
            mem: self.go.memory,
            dest: self.dest,
            getsp: self.go.getsp,
            resume: self.go.resume,
            take_result,
        };
        let name = import.name;
        let mut failure = None;
        self.module
            .replace_imported_func(id, |(body, args)| {
                let sp = args[0];
                if let Err(e) = adapter_body(&ctx, name, call, body, sp) {
                    failure = Some(e);
                }
            })
            .with_context(|| format!("replacing {MODULE}::{name}"))?;
        if let Some(e) = failure {
            return Err(e);
        }
        self.module.funcs.get_mut(id).name = Some(format!("wsb:adapter:{name}"));
        Ok(())
    }

    /// `cabi_realloc`: hands the canonical ABI the address in `$dest` (see the module docs).
    /// Only byte lists are ever returned into Go memory, so any size fits the buffer the adapter
    /// named, and the shim never returns more than the length it was given.
    pub fn add_cabi_realloc(&mut self) {
        let mut f = FunctionBuilder::new(&mut self.module.types, &[ValType::I32; 4], &[ValType::I32]);
        // Parameters (old ptr, old size, align, new size) are unused.
        let params: Vec<LocalId> = (0..4).map(|_| self.module.locals.add(ValType::I32)).collect();
        f.func_body().global_get(self.dest);
        f.name("cabi_realloc".into());
        let id = f.finish(params, &mut self.module.funcs);
        self.module.exports.add("cabi_realloc", id);
    }

    /// Replaces the `workers.ready` import (the HTTP handler contract) with a call to the
    /// shim's `http.ready`.
    pub fn replace_workers_ready(&mut self, id: FunctionId) -> Result<()> {
        let ready = self.wit(Interface::Http, "ready")?;
        self.module.replace_imported_func(id, |(body, _)| {
            body.call(ready);
        })?;
        self.module.funcs.get_mut(id).name = Some("wsb:adapter:workers.ready".into());
        Ok(())
    }

    /// Calls Go's `run` with the argv/env block, as `Go.run` does.
    fn call_run(&mut self, b: &mut InstrSeqBuilder<'_>, prepare: FunctionId) {
        let mem = self.go.memory;
        // The argv/env block lands at ARGS_BASE; argc and argv come back in the return area.
        b.i32_const(ARGS_BASE).global_set(self.dest);
        b.i32_const(ARGS_BASE).i32_const(ARGS_RETAREA).call(prepare);
        b.i32_const(ARGS_RETAREA).load(mem, LoadKind::I32 { atomic: false }, arg(4, 0));
        b.i32_const(ARGS_RETAREA).load(mem, LoadKind::I32 { atomic: false }, arg(4, 4));
        b.call(self.go.run);
    }

    /// `wasi:http/incoming-handler#handle`: on the first request, `http.init`, Go's `run`, and
    /// the event loop until Go calls `workers.ready`; then, per request, `http.begin` and the
    /// event loop while the request is in progress. An instance may serve many requests (hosts
    /// that reuse instances get Go's initialisation once).
    ///
    /// With httpserve's direct path (`direct`), a request starts with `http.begin-direct`
    /// instead: when the shim holds it as bytes, they are copied into a Go buffer and handed to
    /// Go, and after every `resume` the records Go has for the host are taken and passed to
    /// `http.direct-respond`, whose answer may be bytes for Go (a pull of the request body
    /// answered) or a cancellation (see DirectExports and httpserve/direct.go); the answers to
    /// records that waited for the client come by `http.direct-next` before each `resume`.
    pub fn add_proxy_entry(&mut self, direct: Option<DirectExports>) -> Result<()> {
        let prepare = self.wit(Interface::Lifecycle, "prepare-args")?;
        let next_event = self.wit(Interface::Lifecycle, "next-event")?;
        let init = self.wit(Interface::Http, "init")?;
        let is_ready = self.wit(Interface::Http, "is-ready")?;
        let begin = self.wit(Interface::Http, "begin")?;
        let in_progress = self.wit(Interface::Http, "in-progress")?;
        let direct_wit = match direct {
            Some(_) => Some((
                self.wit(Interface::Http, "begin-direct")?,
                self.wit(Interface::Http, "direct-held")?,
                self.wit(Interface::Http, "direct-respond")?,
                self.wit(Interface::Http, "direct-next")?,
            )),
            None => None,
        };
        let started = self.module.globals.add_local(
            ValType::I32,
            true,
            false,
            walrus::ConstExpr::Value(walrus::ir::Value::I32(0)),
        );
        self.module.globals.get_mut(started).name = Some("wsb_go_started".into());
        let resume = self.go.resume;
        let request = self.module.locals.add(ValType::I32);
        let outparam = self.module.locals.add(ValType::I32);
        // `resume` while an event is ready and `cond()` is `while_true`: the loop of
        // wasm_exec.js's callers, bounded by what this request waits for.
        let drive = |b: &mut InstrSeqBuilder<'_>, cond: FunctionId, while_true: bool| {
            b.block(None, |done| {
                let exit = done.id();
                done.loop_(None, |l| {
                    let top = l.id();
                    l.call(cond);
                    if while_true {
                        l.unop(UnaryOp::I32Eqz);
                    }
                    l.br_if(exit);
                    l.call(next_event).unop(UnaryOp::I32Eqz).br_if(exit);
                    l.call(resume).br(top);
                });
            });
        };
        let mut f = FunctionBuilder::new(&mut self.module.types, &[ValType::I32, ValType::I32], &[]);
        let mut b = f.func_body();
        b.global_get(started).unop(UnaryOp::I32Eqz).if_else(
            None,
            |then| {
                then.i32_const(1).global_set(started);
                then.call(init);
                self.call_run(then, prepare);
                // Until ready: leave the loop once is-ready() is true.
                drive(then, is_ready, false);
            },
            |_| {},
        );
        match (&direct, direct_wit) {
            (Some(go), Some((begin_direct, direct_held, direct_respond, direct_next))) => {
                let (mem, dest) = (self.go.memory, self.dest);
                let [packed, action] = [(); 2].map(|()| self.module.locals.add(ValType::I64));
                // `current`: the request this call began, whose answers come by `direct-next`.
                let [id, current, len, ptr] = [(); 4].map(|()| self.module.locals.add(ValType::I32));
                // The bytes the shim holds for Go (`len` of them) land in a Go buffer; the
                // list's return area follows them, 8-aligned (Go's buffer has room for it).
                let copy_held = |b: &mut InstrSeqBuilder<'_>| {
                    b.local_get(len).call(go.buffer).local_tee(ptr).global_set(dest);
                    b.local_get(len);
                    b.local_get(ptr)
                        .local_get(len)
                        .i32_const(7)
                        .binop(BinaryOp::I32Add)
                        .i32_const(-8)
                        .binop(BinaryOp::I32And)
                        .binop(BinaryOp::I32Add);
                    b.call(direct_held);
                };
                // What `action` (a direct-respond or direct-next result, not 0) says, for the
                // request in local `to`: 1 cancels it; else kind << 32 | length, bytes for Go.
                let answer = |b: &mut InstrSeqBuilder<'_>, to: LocalId| {
                    b.local_get(action).i64_const(1).binop(BinaryOp::I64Eq).if_else(
                        None,
                        |cancel| {
                            cancel.local_get(to).call(go.cancel);
                        },
                        |deliver| {
                            deliver.local_get(action).unop(UnaryOp::I32WrapI64).local_set(len);
                            copy_held(deliver);
                            deliver.local_get(to).local_get(len);
                            deliver.local_get(action).i64_const(32).binop(BinaryOp::I64ShrU).unop(UnaryOp::I32WrapI64);
                            deliver.call(go.body);
                        },
                    );
                };
                b.local_get(request).local_get(outparam).call(begin_direct).local_tee(packed);
                b.i64_const(0).binop(BinaryOp::I64Ne).if_else(
                    None,
                    |then| {
                        then.local_get(packed).unop(UnaryOp::I32WrapI64).local_set(len);
                        then.local_get(packed)
                            .i64_const(32)
                            .binop(BinaryOp::I64ShrU)
                            .unop(UnaryOp::I32WrapI64)
                            .local_set(current);
                        copy_held(then);
                        // Go's handler is runnable now: the shim's next-event says so.
                        then.local_get(current).local_get(len).call(go.request);
                    },
                    |_| {},
                );
                // `drive`, handing Go's records to the shim first on every turn.
                b.block(None, |done| {
                    let exit = done.id();
                    done.loop_(None, |l| {
                        let top = l.id();
                        l.block(None, |collected| {
                            let all = collected.id();
                            collected.loop_(None, |c| {
                                let next = c.id();
                                c.call(go.take).local_tee(packed).unop(UnaryOp::I64Eqz).br_if(all);
                                // The record's request id (after its kind byte), read while the
                                // record is still Go's to keep.
                                c.local_get(packed).i64_const(32).binop(BinaryOp::I64ShrU).unop(UnaryOp::I32WrapI64);
                                c.load(mem, LoadKind::I32 { atomic: false }, arg(1, 1)).local_set(id);
                                c.local_get(packed).i64_const(32).binop(BinaryOp::I64ShrU).unop(UnaryOp::I32WrapI64);
                                c.local_get(packed).unop(UnaryOp::I32WrapI64);
                                c.call(direct_respond).local_tee(action).unop(UnaryOp::I64Eqz).br_if(next);
                                answer(c, id);
                                c.br(next);
                            });
                        });
                        l.call(in_progress).unop(UnaryOp::I32Eqz).br_if(exit);
                        l.call(next_event).unop(UnaryOp::I32Eqz).br_if(exit);
                        // The answers that came while next-event waited go to Go before it runs.
                        l.block(None, |answered| {
                            let all = answered.id();
                            answered.loop_(None, |c| {
                                let next = c.id();
                                c.call(direct_next).local_tee(action).unop(UnaryOp::I64Eqz).br_if(all);
                                answer(c, current);
                                c.br(next);
                            });
                        });
                        l.call(resume).br(top);
                    });
                });
            }
            _ => {
                b.local_get(request).local_get(outparam).call(begin);
                drive(&mut b, in_progress, true);
            }
        }
        f.name("wsb:wasi:http/incoming-handler#handle".into());
        let id = f.finish(vec![request, outparam], &mut self.module.funcs);
        self.module.exports.add("wasi:http/incoming-handler@0.2.12#handle", id);

        // The instance-reuse contract's function, named as the world exports it: the shim
        // knows (Go still running and serving many requests).
        let reusable = self.wit(Interface::Http, "reusable")?;
        let mut f = FunctionBuilder::new(&mut self.module.types, &[], &[ValType::I32]);
        f.func_body().call(reusable);
        f.name(format!("wsb:{}", self.contract.reuse.label));
        let id = f.finish(vec![], &mut self.module.funcs);
        self.module.exports.add(&self.contract.reuse.export, id);
        Ok(())
    }

    /// `wasi:cli/run#run`: what `Go.run` and node's event loop do, as wasm.
    pub fn add_command_entry(&mut self) -> Result<()> {
        let prepare = self.wit(Interface::Lifecycle, "prepare-args")?;
        let next_event = self.wit(Interface::Lifecycle, "next-event")?;
        let mut f = FunctionBuilder::new(&mut self.module.types, &[], &[ValType::I32]);
        let mut b = f.func_body();
        self.call_run(&mut b, prepare);
        // while next-event() { resume() }
        let resume = self.go.resume;
        b.loop_(None, |l| {
            let top = l.id();
            l.call(next_event).if_else(
                None,
                |then| {
                    then.call(resume).br(top);
                },
                |_| {},
            );
        });
        // result<_, _>: 0 is ok. Failures exit through the shim with Go's own exit code.
        b.i32_const(0);
        f.name("wsb:wasi:cli/run#run".into());
        let id = f.finish(vec![], &mut self.module.funcs);
        self.module.exports.add("wasi:cli/run@0.2.0#run", id);
        Ok(())
    }
}

/// What adapter bodies need, copied out of the generator.
struct Ctx {
    /// Two i32 scratch locals (walrus locals are module-wide; a function uses those it names).
    scratch: [LocalId; 2],
    mem: MemoryId,
    dest: GlobalId,
    getsp: FunctionId,
    resume: FunctionId,
    /// `take-callback-result`, for the adapters of calls into JS.
    take_result: Option<FunctionId>,
}

fn arg(align: u32, offset: u64) -> MemArg {
    MemArg { align, offset }
}

/// Frame access for one adapter: `sp` is the adapter's only parameter.
struct Frame<'b, 'c> {
    b: &'b mut InstrSeqBuilder<'c>,
    ctx: &'b Ctx,
    sp: LocalId,
}

impl Frame<'_, '_> {
    /// Pushes the i64 at `sp + off`.
    fn i64(&mut self, off: u64) -> &mut Self {
        self.b.local_get(self.sp).load(self.ctx.mem, LoadKind::I64 { atomic: false }, arg(8, off));
        self
    }
    /// Pushes the i32 at `sp + off`.
    fn i32(&mut self, off: u64) -> &mut Self {
        self.b.local_get(self.sp).load(self.ctx.mem, LoadKind::I32 { atomic: false }, arg(4, off));
        self
    }
    /// Pushes a Go pointer or length (an int64 slot) as i32: wasm32 addresses.
    fn ptr(&mut self, off: u64) -> &mut Self {
        self.i64(off);
        self.b.unop(UnaryOp::I32WrapI64);
        self
    }
    /// Pushes `sp + off` (a return area inside Go's frame).
    fn addr(&mut self, off: i32) -> &mut Self {
        self.b.local_get(self.sp).i32_const(off).binop(BinaryOp::I32Add);
        self
    }
    /// Sets `$dest` to the Go pointer at `sp + off`: the next byte result lands there.
    fn dest_from(&mut self, off: u64) -> &mut Self {
        self.ptr(off);
        self.b.global_set(self.ctx.dest);
        self
    }
    fn call(&mut self, f: FunctionId) -> &mut Self {
        self.b.call(f);
        self
    }
}

/// After a call into JS returned `(ref, status)` at `sp + ref_off` / `sp + ref_off + 8`: while
/// the status is `resume-go` (2), run Go (`resume`) and fetch the Go function's result into the
/// (possibly moved) frame. Go reads the status byte as its `ok` bool (0 threw, 1 returned).
fn finish_js_call(fr: &mut Frame<'_, '_>, ref_off: i32) -> Result<()> {
    let take = fr.ctx.take_result.context("internal: take-callback-result not imported")?;
    let (mem, resume, getsp, sp, status) = (fr.ctx.mem, fr.ctx.resume, fr.ctx.getsp, fr.sp, fr.ctx.scratch[0]);
    fr.b.loop_(None, |l| {
        let top = l.id();
        l.local_get(sp)
            .load(mem, LoadKind::I32_8 { kind: ExtendedLoad::ZeroExtend }, arg(1, ref_off as u64 + 8))
            .local_tee(status)
            .i32_const(2)
            .binop(BinaryOp::I32Eq)
            .if_else(
                None,
                |then| {
                    then.call(resume).call(getsp).local_set(sp);
                    then.local_get(sp).i32_const(ref_off).binop(BinaryOp::I32Add).call(take).br(top);
                },
                |_| {},
            );
    });
    Ok(())
}

/// Stores the `(int, bool)` Go results of copyBytesToGo/copyBytesToJS: `n` (i64) at `sp + 40`
/// and `ok` at `sp + 48`, from an option whose discriminant byte is at `sp + disc_off` and whose
/// u32 count is at `sp + n_off`.
fn store_copy_results(fr: &mut Frame<'_, '_>, disc_off: u64, n_off: u64) {
    let (mem, sp, [ok, n]) = (fr.ctx.mem, fr.sp, fr.ctx.scratch);
    fr.b.local_get(sp).load(mem, LoadKind::I32_8 { kind: ExtendedLoad::ZeroExtend }, arg(1, disc_off)).local_set(ok);
    // n = ok ? count : 0 (the count slot holds stale bytes when the option is none).
    fr.b.local_get(sp).load(mem, LoadKind::I32 { atomic: false }, arg(4, n_off)).i32_const(0).local_get(ok);
    fr.b.select(None).local_set(n);
    fr.b.local_get(sp).local_get(n).unop(UnaryOp::I64ExtendUI32);
    fr.b.store(mem, StoreKind::I64 { atomic: false }, arg(8, 40));
    fr.b.local_get(sp).local_get(ok).store(mem, StoreKind::I32_8 { atomic: false }, arg(1, 48));
}

/// The body of the adapter replacing `gojs::name`. `call` is its WIT function (none only for
/// resetMemoryDataView). Frame offsets: see the `func` comment of each arm and wasm_exec.js.
fn adapter_body(
    ctx: &Ctx,
    name: &str,
    call: Option<FunctionId>,
    b: &mut InstrSeqBuilder<'_>,
    sp: LocalId,
) -> Result<()> {
    let mut fr = Frame { b, ctx, sp };
    if name == "runtime.resetMemoryDataView" {
        // func resetMemoryDataView(): refreshes a JS DataView after memory growth; nothing to do.
        return Ok(());
    }
    let c = call.with_context(|| format!("internal: no WIT function for {MODULE}::{name}"))?;
    let i64_store = StoreKind::I64 { atomic: false };
    match name {
        // func wasmExit(code int32)
        "runtime.wasmExit" => {
            fr.i32(8).call(c);
        }
        // func wasmWrite(fd uintptr, p unsafe.Pointer, n int32)
        "runtime.wasmWrite" => {
            fr.i64(8).ptr(16).i32(24).call(c);
        }
        // func nanotime1() int64
        "runtime.nanotime1" => {
            fr.b.local_get(sp);
            fr.call(c).b.store(ctx.mem, i64_store, arg(8, 8));
        }
        // func walltime() (sec int64, nsec int32): tuple<s64, s32> has Go's slot layout.
        "runtime.walltime" => {
            fr.addr(8).call(c);
        }
        // func scheduleTimeoutEvent(delay int64) int32
        "runtime.scheduleTimeoutEvent" => {
            fr.b.local_get(sp);
            fr.i64(8).call(c).b.store(ctx.mem, StoreKind::I32 { atomic: false }, arg(4, 16));
        }
        // func clearTimeoutEvent(id int32)
        "runtime.clearTimeoutEvent" => {
            fr.i32(8).call(c);
        }
        // func getRandomData(r []byte): the bytes land in r; the return area reuses r's header.
        "runtime.getRandomData" => {
            fr.dest_from(8).ptr(16).addr(8).call(c);
        }
        // func finalizeRef(v ref): the id is the low 32 bits of the ref.
        "syscall/js.finalizeRef" => {
            fr.i32(8).call(c);
        }
        // func stringVal(value string) ref
        "syscall/js.stringVal" => {
            fr.b.local_get(sp);
            fr.ptr(8).ptr(16).call(c).b.store(ctx.mem, i64_store, arg(8, 24));
        }
        // func valueGet(v ref, p string) ref. The shim runs no Go code here, so SP stays put.
        "syscall/js.valueGet" => {
            fr.b.local_get(sp);
            fr.i64(8).ptr(16).ptr(24).call(c).b.store(ctx.mem, i64_store, arg(8, 32));
        }
        // func valueSet(v ref, p string, x ref)
        "syscall/js.valueSet" => {
            fr.i64(8).ptr(16).ptr(24).i64(32).call(c);
        }
        // func valueDelete(v ref, p string)
        "syscall/js.valueDelete" => {
            fr.i64(8).ptr(16).ptr(24).call(c);
        }
        // func valueIndex(v ref, i int) ref
        "syscall/js.valueIndex" => {
            fr.b.local_get(sp);
            fr.i64(8).i64(16).call(c).b.store(ctx.mem, i64_store, arg(8, 24));
        }
        // func valueSetIndex(v ref, i int, x ref)
        "syscall/js.valueSetIndex" => {
            fr.i64(8).i64(16).i64(24).call(c);
        }
        // func valueCall(v ref, m string, args []ref) (ref, bool): results at sp+56, sp+64.
        "syscall/js.valueCall" => {
            fr.i64(8).ptr(16).ptr(24).ptr(32).ptr(40).addr(56).call(c);
            finish_js_call(&mut fr, 56)?;
        }
        // func valueInvoke(v ref, args []ref) (ref, bool) / valueNew: results at sp+40, sp+48.
        "syscall/js.valueInvoke" | "syscall/js.valueNew" => {
            fr.i64(8).ptr(16).ptr(24).addr(40).call(c);
            finish_js_call(&mut fr, 40)?;
        }
        // func valueLength(v ref) int
        "syscall/js.valueLength" => {
            fr.b.local_get(sp);
            fr.i64(8).call(c).b.store(ctx.mem, i64_store, arg(8, 16));
        }
        // func valuePrepareString(v ref) (ref, int): tuple<ref, s64> has Go's slot layout.
        "syscall/js.valuePrepareString" => {
            fr.i64(8).addr(16).call(c);
        }
        // func valueLoadString(v ref, b []byte): bytes land in b; the return area reuses b's header.
        "syscall/js.valueLoadString" => {
            fr.dest_from(16).i64(8).ptr(24).addr(16).call(c);
        }
        // func valueInstanceOf(v ref, t ref) bool
        "syscall/js.valueInstanceOf" => {
            fr.b.local_get(sp);
            fr.i64(8).i64(16).call(c).b.store(ctx.mem, StoreKind::I32_8 { atomic: false }, arg(1, 24));
        }
        // func copyBytesToGo(dst []byte, src ref) (int, bool): bytes land in dst; the return
        // area (option<list<u8>>: tag, ptr, len) reuses dst's header at sp+8..sp+20.
        "syscall/js.copyBytesToGo" => {
            fr.dest_from(8).i64(32).ptr(16).addr(8).call(c);
            store_copy_results(&mut fr, 8, 16);
        }
        // func copyBytesToJS(dst ref, src []byte) (int, bool): option<u32> (tag, count) comes
        // back at sp+40..sp+48, then becomes Go's (n int64 at sp+40, ok at sp+48).
        "syscall/js.copyBytesToJS" => {
            fr.i64(8).ptr(16).ptr(24).addr(40).call(c);
            store_copy_results(&mut fr, 40, 44);
        }
        other => bail!("internal: no adapter for {MODULE}::{other}"),
    }
    Ok(())
}
