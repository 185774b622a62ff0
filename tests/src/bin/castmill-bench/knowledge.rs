//! The knowledge stage's work on long transcripts: sentences → embeddings → summary and
//! topics, per hour of transcript, and the memory it takes for a 4-hour one. Run alone
//! (`BENCH_ONLY=knowledge`) for a peak RSS that belongs to this section only.

use std::time::Instant;

use batch_processor::knowledge::embedder::Embedder;
use batch_processor::knowledge::{sentences, summary, topics};
use castmill_e2e::fixtures;
use shared_ipc::Segment;

/// A transcript of `hours` hours: the fixture scripts' sentences over and over, one
/// 5-second segment each, with a counter so no two are identical.
fn transcript(hours: u64) -> Vec<Segment> {
    let lines = fixtures::reference_sentences();
    let count = hours * 3600 / 5;
    (0..count)
        .map(|i| Segment {
            start_ms: i * 5000,
            end_ms: (i + 1) * 5000,
            text: format!("{} (part {})", lines[i as usize % lines.len()], i / lines.len() as u64),
            confidence: 1.0,
        })
        .collect()
}

pub fn bench() {
    println!("\n## Knowledge stage on long transcripts (all-MiniLM-L6-v2, 2 threads)");
    let embedder = match Embedder::load(&castmill_e2e::embedding_model_dir()) {
        Ok(e) => e,
        Err(e) => {
            println!("skipped: {e} (run scripts/setup.sh --deps)");
            return;
        }
    };
    println!(
        "| transcript | sentences | summary + topics | per hour of transcript | process peak RSS |\n|---|---|---|---|---|"
    );
    for hours in [1, 4] {
        let segments = transcript(hours);
        let started = Instant::now();
        let found = sentences::from_segments(&segments);
        let texts: Vec<&str> = found.iter().map(|s| s.text.as_str()).collect();
        let vectors = embedder.embed(&texts).expect("embed");
        let words: Vec<usize> = found.iter().map(|s| s.words()).collect();
        let budget = summary::budget(found.len(), hours * 3_600_000);
        let picked = summary::select(&vectors, &words, budget);
        let center = summary::centroid(&vectors);
        let k = topics::topic_count(found.len());
        let key = topics::key_topics(&embedder, &texts.join(" "), &center, k).expect("topics");
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(picked.len(), budget);
        assert!(!key.is_empty());
        let peak = castmill_e2e::proc_stats::peak_rss_mib(std::process::id()).unwrap_or(0.0);
        println!(
            "| {hours} h | {} | {seconds:.1} s | {:.1} s | {peak:.0} MiB |",
            found.len(),
            seconds / hours as f64
        );
    }
}
