//! Paths in Castmill's files, stored without loss. A Unix path is bytes, a JSON string is
//! UTF-8: a path that is valid UTF-8 is stored as a plain string (as every earlier version
//! did), any other as `{"unix_bytes": "<hex>"}` — so a Latin-1 file name from an old archive
//! round-trips exactly instead of failing the whole job.
//!
//! Use with `#[serde(with = "crate::stored_path::one")]` (or `many`, `optional`).

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The key of a path stored as bytes.
const BYTES_KEY: &str = "unix_bytes";

struct StoredRef<'a>(&'a Path);

impl Serialize for StoredRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.to_str() {
            Some(text) => serializer.serialize_str(text),
            None => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(BYTES_KEY, &hex(self.0.as_os_str().as_bytes()))?;
                map.end()
            }
        }
    }
}

struct StoredPath(PathBuf);

impl<'de> Deserialize<'de> for StoredPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PathVisitor)
    }
}

struct PathVisitor;

impl<'de> Visitor<'de> for PathVisitor {
    type Value = StoredPath;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a path: a string, or {{\"{BYTES_KEY}\": hex}}")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<StoredPath, E> {
        Ok(StoredPath(PathBuf::from(text)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StoredPath, A::Error> {
        let mut bytes = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != BYTES_KEY {
                return Err(de::Error::unknown_field(&key, &[BYTES_KEY]));
            }
            let text: String = map.next_value()?;
            bytes = Some(unhex(&text).ok_or_else(|| de::Error::custom("path bytes are not hex"))?);
        }
        let bytes = bytes.ok_or_else(|| de::Error::missing_field(BYTES_KEY))?;
        Ok(StoredPath(PathBuf::from(OsString::from_vec(bytes))))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A `PathBuf` field.
pub mod one {
    use super::*;

    pub fn serialize<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
        StoredRef(path).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
        Ok(StoredPath::deserialize(deserializer)?.0)
    }
}

/// A `Vec<PathBuf>` field.
pub mod many {
    use super::*;

    pub fn serialize<S: Serializer>(paths: &[PathBuf], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(paths.iter().map(|p| StoredRef(p)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<PathBuf>, D::Error> {
        Ok(Vec::<StoredPath>::deserialize(deserializer)?
            .into_iter()
            .map(|p| p.0)
            .collect())
    }
}

/// An `Option<PathBuf>` field.
pub mod optional {
    use super::*;

    pub fn serialize<S: Serializer>(path: &Option<PathBuf>, serializer: S) -> Result<S::Ok, S::Error> {
        match path {
            Some(path) => serializer.serialize_some(&StoredRef(path)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
        Ok(Option::<StoredPath>::deserialize(deserializer)?.map(|p| p.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Paths {
        #[serde(with = "one")]
        one: PathBuf,
        #[serde(with = "many")]
        many: Vec<PathBuf>,
        #[serde(with = "optional", default)]
        optional: Option<PathBuf>,
    }

    fn latin1() -> PathBuf {
        PathBuf::from(OsString::from_vec(b"/archive/caf\xe9 episode.mp3".to_vec()))
    }

    #[test]
    fn utf8_paths_are_plain_strings_and_others_round_trip_as_bytes() {
        let paths = Paths {
            one: PathBuf::from("/in/ünïcode.mp3"),
            many: vec![latin1(), PathBuf::from("/in/b.wav")],
            optional: Some(latin1()),
        };
        let json = serde_json::to_string(&paths).expect("serialize");
        assert!(
            json.starts_with(r#"{"one":"/in/ünïcode.mp3","many":[{"unix_bytes":"2f"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Paths>(&json).expect("parse"), paths);
    }

    #[test]
    fn what_earlier_versions_wrote_still_reads() {
        let old = r#"{"one":"/in/a.mp3","many":["/in/b.wav"]}"#;
        let paths: Paths = serde_json::from_str(old).expect("parse");
        assert_eq!(paths.one, PathBuf::from("/in/a.mp3"));
        assert_eq!(paths.many, vec![PathBuf::from("/in/b.wav")]);
        assert_eq!(paths.optional, None);
    }

    #[test]
    fn damaged_byte_paths_are_errors_not_panics() {
        for bad in [
            r#"{"one":{"unix_bytes":"2"},"many":[]}"#,
            r#"{"one":{"unix_bytes":"zz"},"many":[]}"#,
            r#"{"one":{"other":"2f"},"many":[]}"#,
            r#"{"one":{},"many":[]}"#,
            r#"{"one":7,"many":[]}"#,
        ] {
            assert!(serde_json::from_str::<Paths>(bad).is_err(), "{bad}");
        }
    }
}
