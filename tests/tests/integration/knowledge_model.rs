//! The knowledge stage's building blocks (the worker's library) with the real
//! all-MiniLM-L6-v2 model (installed by `scripts/setup.sh --deps`): parity with
//! sentence-transformers, and summaries and topics of the fixture scripts, each about one
//! subject. Through the worker: knowledge.rs.

use std::path::{Path, PathBuf};

use batch_processor::knowledge::embedder::{Embedder, cosine};
use batch_processor::knowledge::sentences;
use batch_processor::knowledge::summary::{self, centroid, mean_centrality};
use batch_processor::knowledge::topics;
use serde::Deserialize;
use shared_ipc::Segment;

fn model_folder() -> PathBuf {
    let folder = castmill_e2e::embedding_model_dir();
    assert!(
        folder.join("model.safetensors").is_file(),
        "{} is missing: run scripts/setup.sh --deps",
        folder.display()
    );
    folder
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[derive(Deserialize)]
struct Reference {
    sentences: Vec<ReferenceSentence>,
}

#[derive(Deserialize)]
struct ReferenceSentence {
    text: String,
    vector: Vec<f32>,
}

/// Vectors made by sentence-transformers itself (scripts/make-embedding-reference.py).
#[test]
fn real_model_embeddings_match_sentence_transformers() {
    let bytes = std::fs::read(fixtures().join("embeddings/reference.json")).expect("fixture");
    let reference: Reference = serde_json::from_slice(&bytes).expect("parse");
    let embedder = Embedder::load(&model_folder()).expect("load");
    assert_eq!(embedder.dimension(), 384);
    let texts: Vec<&str> = reference.sentences.iter().map(|s| s.text.as_str()).collect();
    let vectors = embedder.embed(&texts).expect("embed");
    let mut lowest = f32::MAX;
    for (sentence, vector) in reference.sentences.iter().zip(&vectors) {
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "not unit length: {norm}");
        let similarity = cosine(vector, &sentence.vector);
        lowest = lowest.min(similarity);
        assert!(similarity >= 0.99, "cosine {similarity:.5} for {:?}", sentence.text);
    }
    eprintln!("lowest cosine with sentence-transformers: {lowest:.6}");
    // One at a time gives the same vectors as in a padded batch.
    let alone = embedder.embed(&texts[..1]).expect("embed one");
    assert!(cosine(&alone[0], &vectors[0]) > 0.9999);
}

/// A fixture script (`voice|text` lines) as segments, one per line, 5 s each.
fn script(name: &str) -> Vec<Segment> {
    let text = std::fs::read_to_string(fixtures().join(format!("texts/{name}.txt"))).expect("script");
    text.lines()
        .filter_map(|l| l.split_once('|').map(|(_, t)| t.to_owned()))
        .enumerate()
        .map(|(i, text)| Segment {
            start_ms: i as u64 * 5000,
            end_ms: (i as u64 + 1) * 5000,
            text,
            confidence: 1.0,
            words: Vec::new(),
        })
        .collect()
}

#[test]
fn real_model_topics_name_each_episodes_subject_and_summaries_beat_the_first_sentences() {
    let embedder = Embedder::load(&model_folder()).expect("load");
    let subjects = [
        (
            "astronomy",
            &["telescope", "planet", "jupiter", "saturn", "moons", "sky"][..],
        ),
        ("bread", &["bread", "dough", "flour", "yeast", "loaf", "oven"][..]),
        ("garden", &["garden", "tomato", "soil", "plants", "seeds", "water"][..]),
    ];
    for (name, key_terms) in subjects {
        let segments = script(name);
        let sentences = sentences::from_segments(&segments);
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        let vectors = embedder.embed(&texts).expect("embed");
        let center = centroid(&vectors);

        let found = topics::key_topics(&embedder, &texts.join(" "), &center, 5).expect("topics");
        assert_eq!(found.len(), 5, "{name}: {found:?}");
        let hits = found.iter().filter(|t| key_terms.iter().any(|k| t.contains(k))).count();
        assert!(
            hits >= 2,
            "{name}: topics {found:?} miss the subject's terms {key_terms:?}"
        );

        let words: Vec<usize> = sentences.iter().map(|s| s.words()).collect();
        let budget = summary::budget(sentences.len(), segments.last().map(|s| s.end_ms).unwrap_or(0));
        let picked = summary::select(&vectors, &words, budget);
        assert_eq!(picked.len(), budget);
        let first_n: Vec<usize> = (0..budget).collect();
        let (ours, baseline) = (mean_centrality(&vectors, &picked), mean_centrality(&vectors, &first_n));
        eprintln!("{name}: topics {found:?}; summary centrality {ours:.3} vs first {budget} sentences {baseline:.3}");
        assert!(
            ours > baseline,
            "{name}: summary {ours:.3} is not more central than the opening {baseline:.3}"
        );
        for &i in &picked {
            assert!(
                texts.contains(&sentences[i].text.as_str()),
                "summary sentences come from the transcript"
            );
        }
    }
}

/// Six episodes: each fixture script cut in two. The halves of one script are related; no
/// two scripts are. Notes and the Map of Content go to a folder where every link resolves.
/// The same steps as the worker's summary and map stages: `episode::analyse`, then
/// `batch_links::link`.
#[test]
fn real_model_related_episodes_themes_and_a_map_whose_links_all_resolve() {
    use batch_processor::knowledge::batch_links::{self, LinkInput};
    use batch_processor::knowledge::{episode, map_of_content, note};

    let embedder = Embedder::load(&model_folder()).expect("load");
    let mut episodes = Vec::new();
    for name in ["astronomy", "bread", "garden"] {
        let all = sentences::from_segments(&script(name));
        let half = all.len() / 2;
        for (part, sentences) in [(1, &all[..half]), (2, &all[half..])] {
            // One segment per sentence: the episode splits back into exactly these sentences.
            let segments: Vec<Segment> = sentences
                .iter()
                .map(|s| Segment {
                    start_ms: s.start_ms,
                    end_ms: s.end_ms,
                    text: s.text.clone(),
                    confidence: 1.0,
                    words: Vec::new(),
                })
                .collect();
            let duration_ms = segments.last().map(|s| s.end_ms).unwrap_or(0);
            let knowledge = episode::analyse(&embedder, &segments, duration_ms).expect("analyse");
            episodes.push((format!("{name} part {part}"), duration_ms, knowledge));
        }
    }
    for (i, (_, _, a)) in episodes.iter().enumerate() {
        let row: Vec<String> = episodes
            .iter()
            .map(|(_, _, b)| format!("{:.2}", cosine(&a.centroid, &b.centroid)))
            .collect();
        eprintln!("similarity {i}: {}", row.join(" "));
    }
    let inputs: Vec<LinkInput<'_>> = episodes
        .iter()
        .map(|(_, _, k)| LinkInput {
            topics: &k.topics,
            topic_vectors: &k.topic_vectors,
            centroid: &k.centroid,
        })
        .collect();
    let links = batch_links::link(&inputs);
    for (i, (stem, _, _)) in episodes.iter().enumerate() {
        let twin = i ^ 1;
        eprintln!("{stem}: related {:?}", links.related[i]);
        assert_eq!(
            links.related[i],
            [twin],
            "{stem} should be related to its other half only"
        );
    }

    // A theme gathers one subject's topics, never two subjects'.
    let subject = |episode: usize| episodes[episode].0.split(' ').next().unwrap_or_default().to_owned();
    for theme in &links.themes {
        let names: Vec<&str> = theme.topics.iter().map(|&i| links.topics[i].as_str()).collect();
        let mut subjects: Vec<String> = (0..episodes.len())
            .filter(|&e| names.iter().any(|n| episodes[e].2.topics.iter().any(|t| t == n)))
            .map(subject)
            .collect();
        subjects.dedup();
        eprintln!("theme {}: {names:?} from {subjects:?}", theme.name);
        assert_eq!(subjects.len(), 1, "theme {} mixes subjects: {names:?}", theme.name);
    }

    let out = tempfile::tempdir().expect("tempdir");
    let mut map_episodes = Vec::new();
    for (i, (stem, duration_ms, knowledge)) in episodes.iter().enumerate() {
        let related: Vec<String> = links.related[i].iter().map(|&j| episodes[j].0.clone()).collect();
        let rendered = note::render(&note::EpisodeNote {
            stem: stem.clone(),
            title: stem.clone(),
            source: PathBuf::from(format!("/media/{stem}.mp3")),
            duration_ms: *duration_ms,
            processed: "2026-11-22".into(),
            summary: knowledge.summary.clone(),
            transcript: knowledge.sentences.clone(),
            topics: knowledge.topics.clone(),
            related: Some(related.clone()),
            speakers: Vec::new(),
            sentence_speakers: Vec::new(),
        });
        std::fs::write(out.path().join(format!("{stem}.md")), rendered).expect("write note");
        map_episodes.push(map_of_content::MapEpisode {
            stem: stem.clone(),
            topics: knowledge.topics.clone(),
            related,
        });
    }
    let map = map_of_content::render(&map_episodes, &links.topics, &links.themes, &[]);
    std::fs::write(out.path().join(shared_ipc::job_spec::MAP_OF_CONTENT_FILE), &map).expect("write map");

    let (broken, checked) = castmill_e2e::vault::broken_links(out.path());
    assert!(broken.is_empty(), "links that lead nowhere: {broken:?}");
    assert!(checked > 20, "only {checked} links");
    eprintln!("{checked} links resolve");
}
