//! Threading Go's forward jumps past its dispatch loop.
//!
//! The Go compiler's wasm backend gives every function that jumps between its basic blocks the
//! same shape (cmd/internal/obj/wasm/wasmobj.go):
//!
//! ```wat
//! loop $entry                          ;; entryPointLoop
//!   block $bN … block $b1 block $b0
//!     local.get $pc_b                  ;; PC_B: the function's first parameter
//!     br_table $b0 … $b1 … $bN         ;; indexed by PC: each block's PCs, in order
//!   end $b0  <code of block 0>
//!   end $b1  <code of block 1>
//!   …
//! end
//! ```
//!
//! (a function with calls but no jumps has the blocks and the table without the loop: a
//! goroutine resumed mid-function enters through the table with the PC to resume at), and
//! compiles every jump, forward or backward, conditional or not, to `i32.const pc; local.set
//! $pc_b; br $entry`: back to the loop's header, through the `br_table` to the end of the
//! block that starts at `pc`. That costs an indirect jump per Go branch, and in wasmtime it also
//! costs an epoch check, because every loop header is an interruption point: 13% of a rewritten
//! Go HTTP request's instructions went to epoch checks (counted with `ci/bench --handle-loop
//! … --instructions`, with and without epoch interruption).
//!
//! A forward jump does not need the loop. Code of block `j` lies inside blocks `$b(j+1)…$bN`,
//! so for a jump to a later block `k` the block whose end the `br_table` would reach, `$bk`,
//! encloses the jump, and `br $bk` goes to the same place directly. This pass makes that
//! replacement wherever the target encloses the branch, and leaves every other branch as it
//! was: backward jumps (Go's loops, which must stay interruptible) keep going through the
//! header. The `local.set` stays,
//! so PC_B holds what it held before in every case (Cranelift drops the store when nothing
//! reads it). Calls are unchanged, so an interrupt still reaches code that recurses (wasmtime
//! checks at every function entry) or loops.
//!
//! The dispatch itself runs on every call: a goroutine resumed mid-function brings the PC to
//! resume at in PC_B, every ordinary call brings 0. The pass puts a test for 0 before the
//! table (`local.get; i32.eqz; br_if` to the table's first target), a conditional branch in
//! place of the table's bounds check, load and indirect jump.

use std::collections::{HashMap, HashSet};
use walrus::ir::{Br, BrIf, BrTable, Instr, InstrSeqId, InstrSeqType, LocalGet, UnaryOp, Unop, Value};
use walrus::{LocalFunction, LocalId, Module};

/// A loop whose body starts by dispatching on a local through a `br_table`.
struct Dispatch {
    local: LocalId,
    table: BrTable,
}

/// Where `table` sends control for the index `k` (past its end, or negative as wasm's
/// unsigned index reads it: the default).
fn table_target(table: &BrTable, k: i32) -> InstrSeqId {
    usize::try_from(k).ok().and_then(|k| table.blocks.get(k)).copied().unwrap_or(table.default)
}

/// Replaces the branches to dispatch loops whose target encloses them and puts the entry test
/// before every dispatch, in every function of `module`; the number of branches replaced.
pub fn thread_forward_jumps(module: &mut Module) -> usize {
    module.funcs.iter_local_mut().map(|(_, func)| thread_function(func)).sum()
}

/// The branches to dispatch loops in `module`'s functions: what [`thread_forward_jumps`] looks
/// at (it replaces some and leaves the rest, Go's backward jumps).
pub fn dispatch_branches(module: &Module) -> usize {
    module
        .funcs
        .iter_local()
        .map(|(_, func)| {
            let seqs = all_seqs(func);
            let dispatches = find_dispatches(func, &seqs);
            seqs.into_iter()
                .flat_map(|seq| &func.block(seq).instrs)
                .filter(|(instr, _)| matches!(instr, Instr::Br(br) if dispatches.contains_key(&br.block)))
                .count()
        })
        .sum()
}

/// [`thread_forward_jumps`] for one function.
fn thread_function(func: &mut LocalFunction) -> usize {
    // No edit below adds or removes a sequence: one list serves all.
    let seqs = all_seqs(func);
    let dispatches = find_dispatches(func, &seqs);
    let mut threaded = 0;
    if !dispatches.is_empty() {
        let edits = threadable_branches(func, &dispatches);
        for &(seq, index, target) in &edits {
            func.block_mut(seq).instrs[index].0 = Instr::Br(Br { block: target });
        }
        unloop_unused(func, &seqs, &dispatches);
        threaded = edits.len();
    }
    fast_entry(func, &seqs);
    threaded
}

/// Makes a block of each dispatch loop that no branch targets any more (a function whose
/// jumps were all forward): entering it then costs no interruption check. Only in functions
/// whose branches are all `br`, `br_if` and `br_table`, the only ones Go emits, so that no
/// other instruction's label is missed.
fn unloop_unused(func: &mut LocalFunction, seqs: &[InstrSeqId], dispatches: &HashMap<InstrSeqId, Dispatch>) {
    let mut targeted = HashSet::new();
    for &seq in seqs {
        for (instr, _) in &func.block(seq).instrs {
            match instr {
                Instr::Br(Br { block }) | Instr::BrIf(BrIf { block }) => {
                    targeted.insert(*block);
                }
                Instr::BrTable(t) => targeted.extend(t.blocks.iter().copied().chain([t.default])),
                Instr::BrOnNull(_)
                | Instr::BrOnNonNull(_)
                | Instr::BrOnCast(_)
                | Instr::BrOnCastFail(_)
                | Instr::Try(_)
                | Instr::TryTable(_) => return,
                _ => {}
            }
        }
    }
    for &seq in seqs {
        for (instr, _) in &mut func.block_mut(seq).instrs {
            if let Instr::Loop(l) = instr {
                if dispatches.contains_key(&l.seq) && !targeted.contains(&l.seq) {
                    *instr = Instr::Block(walrus::ir::Block { seq: l.seq });
                }
            }
        }
    }
}

/// The nested sequences an instruction opens (none for other instructions). A legacy `try`'s
/// catch handlers are not among them: nothing below looks inside them (Go emits no `try`).
fn children(instr: &Instr) -> impl Iterator<Item = InstrSeqId> {
    let (first, second) = match instr {
        Instr::Block(b) => (Some(b.seq), None),
        Instr::Loop(l) => (Some(l.seq), None),
        Instr::IfElse(i) => (Some(i.consequent), Some(i.alternative)),
        Instr::TryTable(t) => (Some(t.seq), None),
        Instr::Try(t) => (Some(t.seq), None),
        _ => (None, None),
    };
    first.into_iter().chain(second)
}

/// Every sequence of the function, outermost first (an explicit stack: Go's functions nest a
/// block per resume point, thousands deep in large ones).
fn all_seqs(func: &LocalFunction) -> Vec<InstrSeqId> {
    let mut order = Vec::new();
    let mut stack = vec![func.entry_block()];
    while let Some(seq) = stack.pop() {
        order.push(seq);
        for (instr, _) in &func.block(seq).instrs {
            stack.extend(children(instr));
        }
    }
    order
}

/// The function's dispatch loops, by the loop's sequence: a loop whose body begins with a
/// nest of blocks, each the first instruction of the one before, the innermost holding only
/// `local.get; br_table`. Entering such a loop with the local holding `k` does nothing but
/// branch to the table's `k`th target.
fn find_dispatches(func: &LocalFunction, seqs: &[InstrSeqId]) -> HashMap<InstrSeqId, Dispatch> {
    let mut found = HashMap::new();
    for &seq in seqs {
        for (instr, _) in &func.block(seq).instrs {
            let Instr::Loop(l) = instr else { continue };
            if func.block(l.seq).ty != InstrSeqType::Simple(None) {
                continue;
            }
            let mut inner = l.seq;
            while let Some((Instr::Block(b), _)) = func.block(inner).instrs.first() {
                inner = b.seq;
            }
            if let Some((local, table)) = dispatch_of(&func.block(inner).instrs) {
                found.insert(l.seq, Dispatch { local, table: table.clone() });
            }
        }
    }
    found
}

/// The local and table of a dispatch's innermost block: `local.get; br_table`, or the same
/// after [`fast_entry`]'s test.
fn dispatch_of(instrs: &[(Instr, walrus::ir::InstrLocId)]) -> Option<(LocalId, &BrTable)> {
    match instrs {
        [(Instr::LocalGet(get), _), (Instr::BrTable(table), _)] => Some((get.local, table)),
        // Only the test fast_entry puts there: one that went elsewhere for 0 would change
        // where a jump to block 0 lands.
        [(Instr::LocalGet(test), _), (Instr::Unop(Unop { op: UnaryOp::I32Eqz }), _), (Instr::BrIf(br_if), _), (Instr::LocalGet(get), _), (Instr::BrTable(table), _)]
            if test.local == get.local && br_if.block == table_target(table, 0) =>
        {
            Some((get.local, table))
        }
        _ => None,
    }
}

/// Puts a test for block 0 before each dispatch on the function's first parameter (Go's PC_B):
/// `local.get; i32.eqz; br_if` to where the table sends 0. Every ordinary call of a Go
/// function enters with PC_B = 0 (only a resumed goroutine brings another), and a conditional
/// branch costs less than the table's bounds check, load and indirect jump.
fn fast_entry(func: &mut LocalFunction, seqs: &[InstrSeqId]) {
    let Some(&pc_b) = func.args.first() else { return };
    for &seq in seqs {
        let block = func.block_mut(seq);
        // Go's dispatch blocks take and give nothing; in one that did, the branch's types
        // could differ from the table's.
        if block.ty != InstrSeqType::Simple(None) {
            continue;
        }
        let instrs = &mut block.instrs;
        let [(Instr::LocalGet(get), loc), (Instr::BrTable(table), _)] = instrs.as_slice() else { continue };
        if get.local != pc_b {
            continue;
        }
        let (block, loc) = (table_target(table, 0), *loc);
        instrs.splice(
            0..0,
            [
                (Instr::LocalGet(LocalGet { local: pc_b }), loc),
                (Instr::Unop(Unop { op: UnaryOp::I32Eqz }), loc),
                (Instr::BrIf(BrIf { block }), loc),
            ],
        );
    }
}

/// `(sequence, index, target)` of every `i32.const k; local.set $local; br $loop` to a
/// dispatch loop whose target for `k` is a block without results that encloses the branch.
fn threadable_branches(
    func: &LocalFunction,
    dispatches: &HashMap<InstrSeqId, Dispatch>,
) -> Vec<(InstrSeqId, usize, InstrSeqId)> {
    let mut edits = Vec::new();
    // Depth-first, each frame a sequence, its next instruction and how many of that
    // instruction's sequences were entered; the enclosing sequences are also kept as a set, to
    // ask whether a target encloses a branch.
    let mut path: Vec<(InstrSeqId, usize, usize)> = vec![(func.entry_block(), 0, 0)];
    let mut enclosing: HashSet<InstrSeqId> = HashSet::from([func.entry_block()]);
    while let Some((seq, index, entered)) = path.last_mut() {
        let (seq, i) = (*seq, *index);
        let instrs = &func.block(seq).instrs;
        let Some((instr, _)) = instrs.get(i) else {
            enclosing.remove(&seq);
            path.pop();
            continue;
        };
        if *entered == 0 {
            if let Some(target) = threaded_target(func, dispatches, instrs, i, &enclosing) {
                edits.push((seq, i, target));
            }
        }
        match children(instr).nth(*entered) {
            Some(child) => {
                *entered += 1;
                enclosing.insert(child);
                path.push((child, 0, 0));
            }
            None => {
                *index += 1;
                *entered = 0;
            }
        }
    }
    edits
}

/// Where `instrs[i]` can branch instead, if it is `i32.const k; local.set $local; br $loop` to
/// a dispatch loop whose target for `k` is a block without results among `enclosing`.
fn threaded_target(
    func: &LocalFunction,
    dispatches: &HashMap<InstrSeqId, Dispatch>,
    instrs: &[(Instr, walrus::ir::InstrLocId)],
    i: usize,
    enclosing: &HashSet<InstrSeqId>,
) -> Option<InstrSeqId> {
    let Instr::Br(br) = &instrs[i].0 else { return None };
    let dispatch = dispatches.get(&br.block)?;
    let [(Instr::Const(c), _), (Instr::LocalSet(set), _)] = instrs.get(i.checked_sub(2)?..i)? else { return None };
    let (Value::I32(k), true) = (c.value, set.local == dispatch.local) else { return None };
    let target = table_target(&dispatch.table, k);
    (target != br.block && enclosing.contains(&target) && func.block(target).ty == InstrSeqType::Simple(None))
        .then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threads `wat`'s functions; the number of branches replaced and the result as text
    /// (validated first).
    fn thread(wat: &str) -> (usize, String) {
        let mut config = walrus::ModuleConfig::new();
        config.generate_producers_section(false);
        let mut module = config.parse(&wat::parse_str(wat).unwrap()).unwrap();
        let threaded = thread_forward_jumps(&mut module);
        let bytes = module.emit_wasm();
        wasmparser::Validator::new().validate_all(&bytes).expect("the threaded module validates");
        (threaded, wasmprinter::print_bytes(&bytes).unwrap())
    }

    /// Go's shape (see the module's comment) with three basic blocks: block 0 jumps forward to
    /// 2 under a condition and else to 1, block 1 jumps back to 0, block 2 returns.
    const GO_SHAPED: &str = r#"(module
      (func $f (param $pc_b i32) (result i32) (local $x i32)
        loop $entry
          block $b2
            block $b1
              block $b0
                local.get $pc_b
                br_table $b0 $b1 $b2 $b0
              end
              local.get $x
              if
                i32.const 2
                local.set $pc_b
                br $entry
              end
              i32.const 1
              local.set $pc_b
              br $entry
            end
            local.get $x
            i32.const 1
            i32.add
            local.set $x
            i32.const 0
            local.set $pc_b
            br $entry
          end
          i32.const 0
          return
        end
        unreachable))"#;

    #[test]
    fn forward_jumps_skip_the_loop_and_backward_ones_keep_it() {
        let (threaded, text) = thread(GO_SHAPED);
        assert_eq!(threaded, 2, "the two forward jumps of block 0");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_loop_left_without_branches_becomes_a_block() {
        // Block 1 returns instead of jumping back: every jump is forward.
        let wat = GO_SHAPED.replace(
            "i32.const 0\n            local.set $pc_b\n            br $entry",
            "i32.const 0\n            return",
        );
        let (threaded, text) = thread(&wat);
        assert_eq!(threaded, 2);
        assert!(!text.contains("loop"), "{text}");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn an_index_past_the_table_takes_its_default() {
        // 7 is past the table: the dispatch sends it to the default.
        let wat = GO_SHAPED
            .replace("i32.const 2\n                local.set $pc_b", "i32.const 7\n                local.set $pc_b")
            .replace("br_table $b0 $b1 $b2 $b0", "br_table $b0 $b1 $b2 $b2");
        let (threaded, text) = thread(&wat);
        assert_eq!(threaded, 2, "7 goes to the default, $b2, which encloses block 0's code");
        assert!(text.contains("i32.const 7\n            local.set 0\n            br 2 (;@2;)"), "{text}");
    }

    #[test]
    fn branches_that_are_not_the_pattern_stay() {
        for (what, wat) in [
            ("another local set before the branch", GO_SHAPED.replace("i32.const 1\n              local.set $pc_b", "i32.const 1\n              local.set $x")),
            ("the value not a constant", GO_SHAPED.replace("i32.const 1\n              local.set $pc_b", "local.get $x\n              local.set $pc_b")),
            ("work before the dispatch", GO_SHAPED.replace("local.get $pc_b\n                br_table", "i32.const 5\n                local.set $x\n                local.get $pc_b\n                br_table")),
            ("a test for 0 that goes elsewhere", GO_SHAPED.replace("local.get $pc_b\n                br_table", "local.get $pc_b\n                i32.eqz\n                br_if $b1\n                local.get $pc_b\n                br_table")),
        ] {
            let (threaded, text) = thread(&wat);
            let expected = if what.starts_with("work") || what.starts_with("a test") { 0 } else { 1 };
            assert_eq!(threaded, expected, "{what}: {text}");
            assert!(text.contains("loop"), "{what}: the backward jump keeps the loop");
        }
    }

    #[test]
    fn a_dispatch_without_a_loop_gets_the_entry_test_and_other_tables_do_not() {
        // Go's shape for a function with resume points but no jumps (no loop), and a table on
        // a local other than the first parameter.
        let wat = r#"(module
          (func (param $pc_b i32) (result i32) (local $x i32)
            block $b1
              block $b0
                local.get $pc_b
                br_table $b0 $b1 $b1
              end
              block $c1
                block $c0
                  local.get $x
                  br_table $c0 $c1
                end
              end
            end
            i32.const 0))"#;
        let (threaded, text) = thread(wat);
        assert_eq!(threaded, 0);
        assert_eq!(text.matches("i32.eqz").count(), 1, "{text}");
        assert!(
            text.contains(
                "local.get 0\n        i32.eqz\n        br_if 0 (;@2;)\n        local.get 0\n        br_table"
            ),
            "{text}"
        );
    }
}
