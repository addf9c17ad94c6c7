//! ReadScore phrase aligner: the algorithm (`align`) is plain Rust with its own tests; `binding`
//! is a thin Node-API layer (`napi_sys` declares the C functions node provides at load time).

pub mod align;
mod batch;
mod binding;
mod napi_sys;

pub use align::{AlignError, Alignment, Table, Workspace};
pub use batch::align_batch;
