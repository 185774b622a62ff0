//! What links a batch's episodes: related episodes (by centroid) and themes over the
//! batch's distinct topics (by topic embeddings). Needs no model: it works from what each
//! episode's summary stage kept.

use super::related;
use super::themes::{self, Theme};

/// One episode as the linking step sees it.
pub struct LinkInput<'a> {
    pub topics: &'a [String],
    pub topic_vectors: &'a [Vec<f32>],
    pub centroid: &'a [f32],
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchLinks {
    /// Per episode, the related ones (indices), most similar first.
    pub related: Vec<Vec<usize>>,
    /// The batch's distinct topics, sorted.
    pub topics: Vec<String>,
    /// Groups of `topics` (indices).
    pub themes: Vec<Theme>,
}

pub fn link(episodes: &[LinkInput<'_>]) -> BatchLinks {
    let centroids: Vec<Vec<f32>> = episodes.iter().map(|e| e.centroid.to_vec()).collect();
    let related = related::related(&centroids)
        .into_iter()
        .map(|row| row.into_iter().map(|(j, _)| j).collect())
        .collect();

    let mut topics: Vec<(String, Vec<f32>)> = Vec::new();
    for episode in episodes {
        for (topic, vector) in episode.topics.iter().zip(episode.topic_vectors) {
            if !topics.iter().any(|(t, _)| t == topic) {
                topics.push((topic.clone(), vector.clone()));
            }
        }
    }
    topics.sort_by(|a, b| a.0.cmp(&b.0));
    let weight: Vec<usize> = topics
        .iter()
        .map(|(t, _)| episodes.iter().filter(|e| e.topics.contains(t)).count())
        .collect();
    let (names, vectors): (Vec<String>, Vec<Vec<f32>>) = topics.into_iter().unzip();
    let themes = themes::group(&names, &vectors, &weight);
    BatchLinks {
        related,
        topics: names,
        themes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_topics_count_once_and_close_episodes_link() {
        let a_topics = ["bread".to_owned(), "yeast".to_owned()];
        let b_topics = ["bread".to_owned(), "oven".to_owned()];
        let c_topics = ["planets".to_owned()];
        let bread = vec![1.0, 0.0];
        let sky = vec![0.0, 1.0];
        let a_vectors = [bread.clone(), vec![0.9, 0.436]];
        let b_vectors = [bread.clone(), vec![0.95, 0.312]];
        let c_vectors = [sky.clone()];
        let links = link(&[
            LinkInput {
                topics: &a_topics,
                topic_vectors: &a_vectors,
                centroid: &bread,
            },
            LinkInput {
                topics: &b_topics,
                topic_vectors: &b_vectors,
                centroid: &[0.95, 0.312],
            },
            LinkInput {
                topics: &c_topics,
                topic_vectors: &c_vectors,
                centroid: &sky,
            },
        ]);
        assert_eq!(links.topics, ["bread", "oven", "planets", "yeast"]);
        assert_eq!(links.related, [vec![1], vec![0], vec![]]);
        assert_eq!(links.themes.len(), 2);
        assert_eq!(links.themes[0].name, "bread", "named by the topic most episodes share");
    }
}
