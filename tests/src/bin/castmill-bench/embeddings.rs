//! Sentence-embedding throughput of the knowledge stage's model (all-MiniLM-L6-v2 on the
//! CPU through candle), on transcript-like sentences, in batches and one at a time.

use std::time::Instant;

use batch_processor::knowledge::embedder::Embedder;
use castmill_e2e::fixtures;

/// Sentences from the fixture scripts, repeated to `n`.
fn sentences(n: usize) -> Vec<String> {
    fixtures::reference_sentences().into_iter().cycle().take(n).collect()
}

pub fn bench(repeats: usize) {
    println!("\n## Sentence embeddings (all-MiniLM-L6-v2, candle, CPU)");
    let started = Instant::now();
    let embedder = match Embedder::load(&castmill_e2e::embedding_model_dir()) {
        Ok(e) => e,
        Err(e) => {
            println!("skipped: {e} (run scripts/setup.sh --deps)");
            return;
        }
    };
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let texts = sentences(512);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut batched = Vec::new();
    for _ in 0..repeats {
        let t = Instant::now();
        let vectors = embedder.embed(&refs).expect("embed");
        assert_eq!(vectors.len(), refs.len());
        batched.push(refs.len() as f64 / t.elapsed().as_secs_f64());
    }
    let single_n = 64;
    let t = Instant::now();
    for text in &refs[..single_n] {
        embedder.embed(&[text]).expect("embed");
    }
    let single = single_n as f64 / t.elapsed().as_secs_f64();
    let words: usize = refs.iter().map(|s| s.split_whitespace().count()).sum();
    println!("| measure | value |\n|---|---|");
    println!("| model load | {load_ms:.0} ms |");
    println!(
        "| throughput, batches of 32 ({} sentences, {:.1} words each), median of {repeats} | {:.0} sentences/s |",
        refs.len(),
        words as f64 / refs.len() as f64,
        crate::median(batched.clone())
    );
    println!("| throughput, one sentence at a time | {single:.0} sentences/s |");
}
