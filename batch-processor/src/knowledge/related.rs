//! Related episodes: episodes whose overall meaning (the centroid of their sentence
//! embeddings) is close.

use super::embedder::cosine;

/// Episodes less similar than this are not related. Calibrated on all-MiniLM-L6-v2 with the
/// fixture scripts cut in halves of ~30 words (the hardest case: short and few sentences):
/// halves of one script score 0.50–0.68, scripts on different subjects at most 0.32.
pub const RELATED_AT: f32 = 0.42;
/// At most this many related episodes per episode.
pub const MAX_RELATED: usize = 5;

/// For each episode, the others related to it (indices), most similar first.
pub fn related(centroids: &[Vec<f32>]) -> Vec<Vec<(usize, f32)>> {
    (0..centroids.len())
        .map(|i| {
            let mut others: Vec<(usize, f32)> = (0..centroids.len())
                .filter(|&j| j != i)
                .map(|j| (j, cosine(&centroids[i], &centroids[j])))
                .filter(|(_, s)| *s >= RELATED_AT)
                .collect();
            others.sort_by(|a, b| b.1.total_cmp(&a.1));
            others.truncate(MAX_RELATED);
            others
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_episodes_are_related_both_ways_and_far_ones_not() {
        let centroids = vec![vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0]];
        let links = related(&centroids);
        assert_eq!(links[0].iter().map(|l| l.0).collect::<Vec<_>>(), [1]);
        assert_eq!(
            links[1].iter().map(|l| l.0).collect::<Vec<_>>(),
            [0, 2],
            "most similar first"
        );
        assert!(!links[2].iter().any(|l| l.0 == 0));
    }
}
