//! Per-store limits: linear memory (a `ResourceLimiter` that traps with a named error when a
//! guest grows past its budget) and CPU time (an epoch callback that counts the ticks a guest
//! spends running wasm and yields to the scheduler on each, so a busy guest never holds a
//! worker thread). Wall-clock timeouts are plain `tokio::time::timeout`s around the call,
//! which the per-tick yields make effective even for a guest stuck in a loop.

use crate::engine::EPOCH_TICK;
use crate::units::{ByteSize, HumanDuration};
use std::time::Duration;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};

/// Why the host stopped a guest. Carried as the error of the trap, so callers find it with
/// `downcast_ref` on the call's error.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LimitExceeded {
    #[error("memory limit exceeded: the guest tried to grow its linear memory to {wanted} (limit {limit})")]
    Memory { wanted: ByteSize, limit: ByteSize },
    #[error("cpu limit exceeded: the guest ran wasm for more than {0}")]
    Cpu(HumanDuration),
}

impl LimitExceeded {
    /// Finds the limit a failed call ran into, anywhere in its error chain.
    pub fn find(err: &wasmtime::Error) -> Option<&LimitExceeded> {
        err.chain().find_map(|e| e.downcast_ref::<LimitExceeded>())
    }
}

/// Tracks the linear memory of all the memories of one store.
#[derive(Debug)]
pub struct MemoryLimiter {
    limit: u64,
    total: u64,
}

impl MemoryLimiter {
    pub fn new(limit: u64) -> MemoryLimiter {
        MemoryLimiter { limit, total: 0 }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.total + (desired.saturating_sub(current)) as u64;
        if total > self.limit {
            return Err(wasmtime::Error::new(LimitExceeded::Memory {
                wanted: ByteSize(total),
                limit: ByteSize(self.limit),
            }));
        }
        self.total = total;
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // Tables hold references, not data; a generous cap stops a runaway loop only.
        Ok(desired <= 1 << 20)
    }
}

/// Something whose store data holds a [`MemoryLimiter`].
pub trait HasLimiter {
    fn limiter(&mut self) -> &mut MemoryLimiter;
}

/// Applies the memory limit and the CPU budget (`None`: unlimited, but still yield each tick)
/// to a new store.
pub fn apply<T: HasLimiter + Send + 'static>(store: &mut Store<T>, cpu_limit: Option<Duration>) {
    store.limiter(|t| t.limiter() as &mut dyn ResourceLimiter);
    let budget = cpu_limit.map(|d| ((d.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64, d));
    let mut ticks = 0u64;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        ticks += 1;
        if let Some((max, limit)) = budget {
            if ticks > max {
                return Err(wasmtime::Error::new(LimitExceeded::Cpu(HumanDuration(limit))));
            }
        }
        Ok(UpdateDeadline::Yield(1))
    });
}
