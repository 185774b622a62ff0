//! Themes for the Map of Content: the batch's topics grouped by meaning. Greedy clustering:
//! topics in order of how many episodes name them; each joins the closest theme when its
//! embedding is close enough to that theme's first topic, else starts a new theme.

use super::embedder::cosine;

/// Topics at least this similar belong to one theme. On all-MiniLM-L6-v2, topic phrases on
/// one subject ("bread", "dough rest", "yeast") score 0.45–0.8 with each other; phrases from
/// different subjects of the fixture batch at most 0.41.
pub const SAME_THEME: f32 = 0.45;

/// One theme: its name (its first topic) and the topics in it (indices into the input).
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub topics: Vec<usize>,
}

/// `topics[i]` with embedding `vectors[i]`, named by `weight[i]` episodes.
pub fn group(topics: &[String], vectors: &[Vec<f32>], weight: &[usize]) -> Vec<Theme> {
    let mut order: Vec<usize> = (0..topics.len()).collect();
    order.sort_by(|&a, &b| weight[b].cmp(&weight[a]).then_with(|| topics[a].cmp(&topics[b])));
    let mut themes: Vec<Theme> = Vec::new();
    for i in order {
        let closest = themes
            .iter_mut()
            .map(|t| {
                let s = cosine(&vectors[i], &vectors[t.topics[0]]);
                (t, s)
            })
            .filter(|(_, s)| *s >= SAME_THEME)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match closest {
            Some((theme, _)) => theme.topics.push(i),
            None => themes.push(Theme {
                name: topics[i].clone(),
                topics: vec![i],
            }),
        }
    }
    themes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_topics_share_a_theme_named_by_the_most_common() {
        let topics: Vec<String> = ["telescope", "planets", "bread"].map(String::from).to_vec();
        let vectors = vec![vec![0.9, 0.436], vec![1.0, 0.0], vec![0.0, 1.0]];
        // telescope–planets 0.9, telescope–bread 0.44: below the threshold.
        let themes = group(&topics, &vectors, &[1, 3, 1]);
        assert_eq!(themes.len(), 2);
        assert_eq!(themes[0].name, "planets");
        assert_eq!(themes[0].topics, [1, 0]);
        assert_eq!(themes[1].topics, [2]);
    }
}
