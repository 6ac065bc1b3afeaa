//! Tests of the whole crate: Merkle proofs against a reference written
//! straight from the RFC definitions, and signed notes against known answers.

mod merkle;
mod notes;
mod tiles;
mod witness;
