/** Limits shared by both backends (the Rust crate mirrors them at the top of src/align.rs). */

/** Largest accepted cost: keeps every path sum finite and exact enough for the band slack. */
export const MAX_COST = 1e15;
/** Longest accepted ref or hyp (ids are u32; indices are i32 in the result). */
export const MAX_SEQUENCE_LENGTH = 1 << 24;
/** Most direction bytes one alignment may store; beyond it the input is rejected as too large. */
export const MAX_BAND_CELLS = 1 << 28;
