//! Related episodes: episodes whose overall meaning (the centroid of their sentence
//! embeddings) is close — close in absolute terms, and close compared with each episode's
//! own best match. The second test matters in real batches: episodes of one show share a
//! tone that lifts every pair's similarity (on the fixture clips, bread-making and
//! gardening score 0.40–0.45 against each other while two bread episodes score 0.8), so a
//! fixed threshold alone links everything to everything.

use super::embedder::cosine;

/// Episodes less similar than this are not related. Calibrated on all-MiniLM-L6-v2 with the
/// fixture scripts cut in halves of ~30 words (the hardest case: short and few sentences):
/// halves of one script score 0.50–0.68, scripts on different subjects at most 0.32.
pub const RELATED_AT: f32 = 0.42;
/// A pair is related only when its similarity is within this of the best match of both
/// episodes.
pub const NEAR_BEST: f32 = 0.2;
/// At most this many related episodes per episode.
pub const MAX_RELATED: usize = 5;

/// For each episode, the others related to it (indices), most similar first.
pub fn related(centroids: &[Vec<f32>]) -> Vec<Vec<(usize, f32)>> {
    let n = centroids.len();
    let similarity: Vec<Vec<f32>> = (0..n)
        .map(|i| (0..n).map(|j| cosine(&centroids[i], &centroids[j])).collect())
        .collect();
    let best: Vec<f32> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| j != i)
                .map(|j| similarity[i][j])
                .fold(f32::MIN, f32::max)
        })
        .collect();
    (0..n)
        .map(|i| {
            let mut others: Vec<(usize, f32)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (j, similarity[i][j]))
                .filter(|&(j, s)| s >= RELATED_AT && s >= best[i] - NEAR_BEST && s >= best[j] - NEAR_BEST)
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
        let centroids = vec![vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0], vec![0.6, 0.8]];
        let links = related(&centroids);
        let ids = |i: usize| links[i].iter().map(|l| l.0).collect::<Vec<_>>();
        // 0–3 (0.6) is far below 3's best match (3–1, 0.96).
        assert_eq!(ids(0), [1]);
        assert_eq!(ids(1), [3, 0], "most similar first");
        assert_eq!(ids(2), [3]);
    }

    #[test]
    fn a_pair_far_below_either_episodes_best_match_is_not_related() {
        // 0 and 1 are twins (0.98); 2 is close enough to 1 in absolute terms (0.6) but far
        // below 1's twin, and its own best match is 1.
        let centroids = vec![vec![1.0, 0.0, 0.0], vec![0.98, 0.199, 0.0], vec![0.6, 0.0, 0.8]];
        let links = related(&centroids);
        let ids = |i: usize| links[i].iter().map(|l| l.0).collect::<Vec<_>>();
        assert_eq!(ids(0), [1]);
        assert_eq!(ids(1), [0]);
        assert!(ids(2).is_empty());
    }
}
