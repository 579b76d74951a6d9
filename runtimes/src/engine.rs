//! The wasmtime `Engine` both commands share: async (guests run on tokio), epoch interruption
//! (timeouts and CPU limits reach guests stuck in a loop), and for `serve` the pooling
//! allocator sized for the number of instances that may run at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: the granularity of CPU limits and of cooperative yields of
/// guests that compute without calling the host.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Engine stack a guest may use. Wasmtime's default is 512 KiB; Go's wasm code spends engine
/// stack on every Go call (its own goroutine stacks live in linear memory), so recursion that
/// runs under node with `go_js_wasm_exec`'s 8 MiB V8 stack overflows there. Match node.
pub const MAX_WASM_STACK: usize = 8 << 20;

/// Instance allocation for the engine.
#[derive(Debug, Clone, Copy)]
pub enum Allocation {
    /// Allocate each instance's memories on demand (one-shot programs: `run`).
    OnDemand,
    /// Preallocated slots for this many component instances at once, each memory reserving
    /// up to `max_memory` bytes (`serve`).
    Pooling { instances: u32, max_memory: u64 },
}

/// Builds the engine. The settings that change generated code are the same for every
/// allocation, so a precompiled module serves both `run` and `serve`.
pub fn build(allocation: Allocation) -> Result<Engine, wasmtime::Error> {
    Engine::new(&config(allocation))
}

/// The engine's configuration, for tools that measure the engine with a setting of their own
/// (ci/bench compiles for a baseline CPU to count instructions under valgrind).
pub fn config(allocation: Allocation) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    // Async guests run on a separate stack that must hold the wasm stack and the host calls
    // made from it.
    config.max_wasm_stack(MAX_WASM_STACK);
    config.async_stack_size(MAX_WASM_STACK + (1 << 20));
    // `perf record` of a server names guest functions when their symbols are in
    // /tmp/perf-PID.map (the code is the same either way).
    if std::env::var_os("WASM_SERVER_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if let Allocation::Pooling { instances, max_memory } = allocation {
        let mut pool = PoolingAllocationConfig::new();
        // A component built by wasm-component-ld has a handful of core instances (the program,
        // the WASI adapter, shims); guests of other toolchains a few more.
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(8))
            .total_memories(instances.saturating_mul(2))
            .total_tables(instances.saturating_mul(4))
            .total_stacks(instances)
            .max_core_instances_per_component(32)
            .max_memories_per_component(4)
            .max_tables_per_component(16)
            .max_memory_size(max_memory.try_into().unwrap_or(usize::MAX))
            // Keep a little of each freed slot resident so that the next request's
            // instantiation finds warm pages instead of faulting them in again.
            .linear_memory_keep_resident(64 << 10)
            .table_keep_resident(16 << 10);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// A thread that advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: &Engine) -> EpochTicker {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.clone();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawn the epoch thread");
        EpochTicker { stop, thread: Some(thread) }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
