//! candle asks for its thread count on every matrix product, and without `RAYON_NUM_THREADS`
//! it works the answer out afresh from `/proc` and `/sys` each time — thousands of file reads
//! per second in the networks' recurrences. Fixing the variable once, at start, to candle's
//! own answer keeps the same threads and drops the reads.

/// Sets `RAYON_NUM_THREADS` to candle's thread count, unless the user set it.
///
/// # Safety
/// Changes the environment: call it at the start of `main`, before any thread exists.
pub unsafe fn settle_candle_threads() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        let threads = candle_core::utils::get_num_threads();
        // SAFETY: the caller promises no other thread is running, so none reads the
        // environment meanwhile.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", threads.to_string()) };
    }
}
