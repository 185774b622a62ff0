//! Joining voiceprints into speakers: agglomerative clustering with average linkage on the
//! prints' cosines, merging the closest pair until no pair is close enough (or until the
//! wanted number of speakers is reached). Long episodes are clustered in blocks of consecutive
//! stretches first and the blocks' clusters joined by their centroids after, so the work
//! grows with the length and not with its square.

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
    let mut deciding: Vec<usize> = (0..prints.len())
        .filter(|&i| prints[i].weight >= RELIABLE_SECONDS)
        .collect();
    if deciding.len() < count.min.max(1) {
        deciding = (0..prints.len()).collect();
    }
    let chosen: Vec<&Print> = deciding.iter().map(|&i| &prints[i]).collect();
    let rough = if chosen.len() <= BLOCK {
        agglomerate(&chosen, threshold, count)
    } else {
        in_blocks(&chosen, threshold, count)
    };
    // The prints that decided keep their speaker; each of the others joins the speaker its
    // print is most like on average.
    let clusters = rough.iter().max().map_or(0, |m| m + 1);
    let mut labels = vec![0usize; prints.len()];
    for (&i, &l) in deciding.iter().zip(&rough) {
        labels[i] = l;
    }
    for (i, p) in prints.iter().enumerate() {
        if deciding.binary_search(&i).is_ok() {
            continue;
        }
        let mut likeness = vec![(0.0f32, 0.0f32); clusters];
        for (d, &l) in chosen.iter().zip(&rough) {
            likeness[l].0 += similarity(&p.vector, &d.vector) * d.weight;
            likeness[l].1 += d.weight;
        }
        labels[i] = (0..clusters)
            .max_by(|&a, &b| {
                let mean = |c: usize| likeness[c].0 / likeness[c].1.max(1e-6);
                mean(a).total_cmp(&mean(b))
            })
            .unwrap_or(0);
    }
    first_appearance_order(&labels)
}

/// A long episode: each block of consecutive prints clustered on its own (the threshold
/// only), then the blocks' clusters joined by their centroids (with the wanted count).
fn in_blocks(prints: &[&Print], threshold: f32, count: SpeakerCount) -> Vec<usize> {
    let mut block_labels = Vec::with_capacity(prints.len());
    let mut centroids: Vec<Print> = Vec::new();
    for block in prints.chunks(BLOCK) {
        let labels = agglomerate(block, threshold, SpeakerCount::AUTOMATIC);
        let offset = centroids.len();
        let clusters = labels.iter().max().map_or(0, |m| m + 1);
        centroids.extend((0..clusters).map(|c| centroid(block, &labels, c)));
        block_labels.extend(labels.into_iter().map(|l| l + offset));
    }
    let centroid_refs: Vec<&Print> = centroids.iter().collect();
    let joined = agglomerate(&centroid_refs, threshold, count);
    block_labels.iter().map(|&b| joined[b]).collect()
}

/// Closest-pair merging over `prints` (at most a few hundred), average linkage: two clusters
/// are as alike as their prints are on average (weighted by speech), so one mixed print
/// cannot chain two voices together as it would between centroids.
fn agglomerate(prints: &[&Print], threshold: f32, count: SpeakerCount) -> Vec<usize> {
    let n = prints.len();
    let mut alike: Vec<f32> = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            alike[i * n + j] = similarity(&prints[i].vector, &prints[j].vector);
        }
    }
    let mut weight: Vec<f32> = prints.iter().map(|p| p.weight.max(1e-3)).collect();
    let mut alive: Vec<bool> = vec![true; n];
    let mut label: Vec<usize> = (0..n).collect();
    let mut clusters = n;
    while clusters > count.min.max(1) {
        let mut best: Option<(f32, usize, usize)> = None;
        for i in (0..n).filter(|&i| alive[i]) {
            for j in (i + 1..n).filter(|&j| alive[j]) {
                let s = alike[i * n + j];
                if best.is_none_or(|(bs, _, _)| s > bs) {
                    best = Some((s, i, j));
                }
            }
        }
        let Some((s, i, j)) = best else { break };
        // Not close enough: stop, unless there are still more clusters than speakers wanted.
        if s < threshold && count.max.is_none_or(|max| clusters <= max) {
            break;
        }
        // j joins i; i's likeness to every other cluster becomes the weighted mean of both.
        let (wi, wj) = (weight[i], weight[j]);
        for k in (0..n).filter(|&k| alive[k] && k != i && k != j) {
            let merged = (wi * alike[i * n + k] + wj * alike[j * n + k]) / (wi + wj);
            alike[i * n + k] = merged;
            alike[k * n + i] = merged;
        }
        weight[i] = wi + wj;
        alive[j] = false;
        for l in &mut label {
            if *l == j {
                *l = i;
            }
        }
        clusters -= 1;
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
