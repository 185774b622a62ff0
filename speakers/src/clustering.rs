//! Joining voiceprints into speakers: agglomerative clustering on the cosine of the clusters'
//! weighted centroids, merging the closest pair until no pair is close enough (or until the
//! wanted number of speakers is reached). Long episodes are clustered in blocks of consecutive
//! stretches first and the blocks' clusters joined after, so the work grows with the length
//! and not with its square.

use crate::voice_encoder::{DIMENSIONS, similarity, unit_length};

/// Stretches clustered together before their clusters are joined with other blocks'.
const BLOCK: usize = 400;

/// How many speakers to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpeakerCount {
    pub min: usize,
    /// `None`: no upper bound.
    pub max: Option<usize>,
}

impl SpeakerCount {
    pub const AUTOMATIC: Self = Self { min: 1, max: None };

    pub fn exactly(n: usize) -> Self {
        Self { min: n, max: Some(n) }
    }
}

/// A voiceprint and how much speech it stands for (its weight in a centroid).
pub struct Print {
    pub vector: [f32; DIMENSIONS],
    pub weight: f32,
}

/// Prints of at least this much speech (seconds) decide the speakers; shorter ones are noisy
/// and only join the speaker they are nearest.
const RELIABLE_SECONDS: f32 = 1.5;

/// One cluster label per print, `0..clusters`, in order of first appearance.
pub fn cluster(prints: &[Print], threshold: f32, count: SpeakerCount) -> Vec<usize> {
    if prints.is_empty() {
        return Vec::new();
    }
    let mut deciding: Vec<&Print> = prints.iter().filter(|p| p.weight >= RELIABLE_SECONDS).collect();
    if deciding.len() < count.min.max(1) {
        deciding = prints.iter().collect();
    }
    // Within blocks: only merges that are surely right (the threshold), no count.
    let mut block_labels = Vec::with_capacity(deciding.len());
    let mut centroids: Vec<Print> = Vec::new();
    for block in deciding.chunks(BLOCK) {
        let labels = agglomerate(block, threshold, SpeakerCount::AUTOMATIC);
        let offset = centroids.len();
        let clusters = labels.iter().max().map_or(0, |m| m + 1);
        centroids.extend((0..clusters).map(|c| centroid(block, &labels, c)));
        block_labels.extend(labels.into_iter().map(|l| l + offset));
    }
    let centroid_refs: Vec<&Print> = centroids.iter().collect();
    let joined = agglomerate(&centroid_refs, threshold, count);
    let rough: Vec<usize> = block_labels.iter().map(|&b| joined[b]).collect();
    // Every print goes to the speaker whose centroid is nearest, now that all are known.
    let clusters = rough.iter().max().map_or(0, |m| m + 1);
    let finals: Vec<Print> = (0..clusters).map(|c| centroid(&deciding, &rough, c)).collect();
    let nearest: Vec<usize> = prints
        .iter()
        .map(|p| {
            (0..finals.len())
                .max_by(|&a, &b| {
                    similarity(&p.vector, &finals[a].vector).total_cmp(&similarity(&p.vector, &finals[b].vector))
                })
                .unwrap_or(0)
        })
        .collect();
    first_appearance_order(&nearest)
}

/// Closest-pair merging over `prints` (at most a few hundred).
fn agglomerate(prints: &[&Print], threshold: f32, count: SpeakerCount) -> Vec<usize> {
    let mut sums: Vec<Option<Vec<f32>>> = prints
        .iter()
        .map(|p| Some(p.vector.iter().map(|v| v * p.weight).collect()))
        .collect();
    let mut label: Vec<usize> = (0..prints.len()).collect();
    let mut alive = prints.len();
    let unit = |sum: &[f32]| {
        let mut v = sum.to_vec();
        unit_length(&mut v);
        v
    };
    let mut units: Vec<Option<Vec<f32>>> = sums.iter().map(|s| s.as_deref().map(unit)).collect();
    loop {
        if alive <= count.min.max(1) {
            break;
        }
        let mut best: Option<(f32, usize, usize)> = None;
        for i in 0..units.len() {
            let Some(a) = &units[i] else { continue };
            for (j, b) in units.iter().enumerate().skip(i + 1) {
                let Some(b) = b else { continue };
                let s = similarity(a, b);
                if best.is_none_or(|(bs, _, _)| s > bs) {
                    best = Some((s, i, j));
                }
            }
        }
        let Some((s, i, j)) = best else { break };
        // Not close enough: stop, unless there are still more clusters than speakers wanted.
        if s < threshold && count.max.is_none_or(|max| alive <= max) {
            break;
        }
        let merged: Vec<f32> = match (&sums[i], &sums[j]) {
            (Some(a), Some(b)) => a.iter().zip(b).map(|(x, y)| x + y).collect(),
            _ => break,
        };
        units[i] = Some(unit(&merged));
        sums[i] = Some(merged);
        sums[j] = None;
        units[j] = None;
        for l in &mut label {
            if *l == j {
                *l = i;
            }
        }
        alive -= 1;
    }
    first_appearance_order(&label)
}

fn centroid(prints: &[&Print], labels: &[usize], cluster: usize) -> Print {
    let mut vector = [0.0f32; DIMENSIONS];
    let mut weight = 0.0;
    for (p, &l) in prints.iter().zip(labels) {
        if l == cluster {
            for (v, x) in vector.iter_mut().zip(&p.vector) {
                *v += x * p.weight;
            }
            weight += p.weight;
        }
    }
    unit_length(&mut vector);
    Print { vector, weight }
}

/// Renumbers labels so the first one met is 0, the next new one 1, and so on.
pub fn first_appearance_order(labels: &[usize]) -> Vec<usize> {
    let mut seen: Vec<usize> = Vec::new();
    labels
        .iter()
        .map(|l| match seen.iter().position(|s| s == l) {
            Some(i) => i,
            None => {
                seen.push(*l);
                seen.len() - 1
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(direction: usize, wobble: f32) -> Print {
        let mut vector = [0.0; DIMENSIONS];
        vector[direction] = 1.0;
        vector[(direction + 1) % DIMENSIONS] = wobble;
        unit_length(&mut vector);
        Print { vector, weight: 2.0 }
    }

    #[test]
    fn separates_voices_and_numbers_them_by_first_appearance() {
        let prints = [
            print(5, 0.1),
            print(9, 0.0),
            print(5, 0.2),
            print(9, 0.1),
            print(2, 0.0),
        ];
        assert_eq!(cluster(&prints, 0.8, SpeakerCount::AUTOMATIC), [0, 1, 0, 1, 2]);
    }

    #[test]
    fn a_wanted_count_merges_past_the_threshold() {
        let prints = [print(5, 0.1), print(9, 0.0), print(5, 0.2), print(2, 0.0)];
        let labels = cluster(&prints, 0.8, SpeakerCount::exactly(2));
        assert_eq!(labels.iter().max(), Some(&1));
        assert_eq!(labels[0], labels[2]);
    }

    #[test]
    fn many_blocks_still_join_into_the_same_speakers() {
        let prints: Vec<Print> = (0..1000).map(|i| print([3, 7, 11][i % 3], 0.05)).collect();
        let labels = cluster(&prints, 0.8, SpeakerCount::AUTOMATIC);
        assert!(labels.iter().enumerate().all(|(i, &l)| l == i % 3));
    }
}
