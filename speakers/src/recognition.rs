//! Recognising voices a person has named, in a new episode: each of the episode's speakers is
//! compared with every named voice, and the closest pairs above [`SAME_PERSON`] are taken one
//! to one — a name goes to at most one speaker of an episode, and a speaker gets at most one
//! name.

use crate::voice_encoder::{similarity, unit_length};

/// How alike an episode's voiceprint and a named voice's must be to give the name. Episode
/// voiceprints average many stretches, so one voice across episodes is far more alike than
/// two stretches within one; calibrated on the fixtures (`BENCH_ONLY=speakers`, recognition).
pub const SAME_PERSON: f32 = 0.85;

/// A named voice's prints (each from one episode, unit length) as one unit-length print.
pub fn voice_centre(prints: &[Vec<f32>]) -> Vec<f32> {
    let Some(first) = prints.iter().find(|p| !p.is_empty()) else {
        return Vec::new();
    };
    let dimensions = first.len();
    let mut centre = vec![0.0f32; dimensions];
    for p in prints.iter().filter(|p| p.len() == dimensions) {
        for (c, v) in centre.iter_mut().zip(p) {
            *c += v;
        }
    }
    unit_length(&mut centre);
    centre
}

/// For each of an episode's speakers (`prints`, empty where a speaker has none), the index in
/// `known` (voice centres from [`voice_centre`]) of the voice it is, if any.
pub fn recognise(prints: &[Vec<f32>], known: &[Vec<f32>], threshold: f32) -> Vec<Option<usize>> {
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (s, print) in prints.iter().enumerate() {
        for (v, centre) in known.iter().enumerate() {
            if print.is_empty() || print.len() != centre.len() {
                continue;
            }
            let alike = similarity(print, centre);
            if alike >= threshold {
                pairs.push((alike, s, v));
            }
        }
    }
    // Closest first; ties broken by order, so the same inputs always give the same names.
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut named = vec![None; prints.len()];
    let mut taken = vec![false; known.len()];
    for (_, s, v) in pairs {
        if named[s].is_none() && !taken[v] {
            named[s] = Some(v);
            taken[v] = true;
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let mut v = v.to_vec();
        unit_length(&mut v);
        v
    }

    #[test]
    fn each_name_goes_to_the_closest_speaker_only() {
        let known = vec![unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0])];
        let prints = vec![
            unit(&[0.9, 0.1, 0.0]),
            unit(&[1.0, 0.02, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
            Vec::new(),
            unit(&[0.05, 1.0, 0.0]),
        ];
        assert_eq!(
            recognise(&prints, &known, SAME_PERSON),
            vec![None, Some(0), None, None, Some(1)]
        );
    }

    #[test]
    fn a_voice_centre_averages_its_prints() {
        let centre = voice_centre(&[unit(&[1.0, 0.0]), unit(&[0.0, 1.0]), Vec::new()]);
        assert!((centre[0] - centre[1]).abs() < 1e-6);
        assert!((similarity(&centre, &centre) - 1.0).abs() < 1e-5);
        assert!(voice_centre(&[]).is_empty());
    }
}
