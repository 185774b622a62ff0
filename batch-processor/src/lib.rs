//! The worker's reusable half: the knowledge stage (sentence embeddings and what is built on
//! them) and the working thread's progress counter, shared by the `batch-processor` binary,
//! the end-to-end tests and the benchmark.

pub mod knowledge;
pub mod work_progress;
