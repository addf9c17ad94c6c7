//! ReadScore phrase aligner: the algorithm (`align`) is plain Rust with its own tests; `binding`
//! is a thin Node-API layer (`napi_sys` declares the C functions node provides at load time).
//! The module also carries the resampler's FIR kernel (`dsp`): one native module per process.

// Index loops mirror the TypeScript twin line by line; `!(a <= b)` comparisons are deliberate
// (they also reject NaN).
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

pub mod align;
mod batch;
mod binding;
pub mod dsp;
mod napi_sys;

pub use align::{AlignError, Alignment, Table, Workspace};
pub use batch::align_batch;
