//! A speaker model as Castmill stores it: one safetensors file of f32 tensors under Castmill's
//! own names, with what the network is (`castmill.kind`) and the layout's version in its
//! metadata. Imports convert the published files into this once; the worker only reads this.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};

/// The layout of the tensors below; a change to names or shapes bumps it.
pub const FORMAT_VERSION: &str = "1";
const KIND_KEY: &str = "castmill.kind";
const VERSION_KEY: &str = "castmill.format";
const SOURCE_KEY: &str = "castmill.source";

/// A tensor of f32 values, row-major.
#[derive(Clone, Debug)]
pub struct Tensor {
    pub dims: Vec<usize>,
    pub values: Vec<f32>,
}

impl Tensor {
    pub fn new(dims: Vec<usize>, values: Vec<f32>) -> Self {
        Self { dims, values }
    }
}

/// Which network a speaker model file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpeakerModelKind {
    /// Who speaks when, frame by frame, in 10 s chunks (pyannote's segmentation-3.0).
    Segmentation,
    /// A voice's fingerprint: 256 numbers per stretch of speech (resemblyzer's encoder).
    VoiceEncoder,
}

impl SpeakerModelKind {
    pub fn tag(self) -> &'static str {
        match self {
            Self::Segmentation => "speaker-segmentation",
            Self::VoiceEncoder => "voice-encoder",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        [Self::Segmentation, Self::VoiceEncoder]
            .into_iter()
            .find(|k| k.tag() == tag)
    }

    /// "speaker segmentation (pyannote segmentation-3.0)".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Segmentation => "speaker segmentation (pyannote segmentation-3.0)",
            Self::VoiceEncoder => "voice encoder (resemblyzer, 256 dimensions)",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("failed to read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a safetensors file")]
    NotSafetensors {
        path: String,
        #[source]
        source: safetensors::SafeTensorError,
    },
    #[error("{path} is not a Castmill speaker model (no {KIND_KEY} in its metadata)")]
    NotSpeakerModel { path: String },
    #[error("{path} holds a {found} model where a {wanted} one was expected")]
    WrongKind {
        path: String,
        found: String,
        wanted: &'static str,
    },
    #[error("{path} has layout version {found}; this Castmill reads version {FORMAT_VERSION}")]
    WrongVersion { path: String, found: String },
    #[error("tensor {name} is missing")]
    Missing { name: String },
    #[error("tensor {name} has shape {found:?}, expected {expected:?}")]
    WrongShape {
        name: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("tensor {name} is not f32")]
    NotF32 { name: String },
    #[error("failed to write the model")]
    Serialize(#[source] safetensors::SafeTensorError),
}

/// A network's tensors by name, and what the network is.
#[derive(Debug)]
pub struct SpeakerWeights {
    pub kind: SpeakerModelKind,
    /// Where the weights came from (the published file's name), kept for `models list`.
    pub source: String,
    pub tensors: HashMap<String, Tensor>,
}

impl SpeakerWeights {
    /// Weights converted from the published file at `path`, checked to have every tensor a
    /// `kind` network needs.
    pub fn imported(
        kind: SpeakerModelKind,
        path: &Path,
        tensors: HashMap<String, Tensor>,
        shapes: &[(String, Vec<usize>)],
    ) -> Result<Self, WeightsError> {
        let weights = Self {
            kind,
            source: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            tensors,
        };
        weights.check_shapes(shapes)?;
        Ok(weights)
    }

    /// The file's bytes: safetensors, tensors in name order (so an import is reproducible).
    pub fn to_bytes(&self) -> Result<Vec<u8>, WeightsError> {
        let mut names: Vec<&String> = self.tensors.keys().collect();
        names.sort();
        let mut views = Vec::with_capacity(names.len());
        let bytes: Vec<Vec<u8>> = names
            .iter()
            .map(|n| self.tensors[*n].values.iter().flat_map(|v| v.to_le_bytes()).collect())
            .collect();
        for (name, data) in names.iter().zip(&bytes) {
            let view =
                TensorView::new(Dtype::F32, self.tensors[*name].dims.clone(), data).map_err(WeightsError::Serialize)?;
            views.push((name.as_str(), view));
        }
        let metadata = HashMap::from([
            (KIND_KEY.to_owned(), self.kind.tag().to_owned()),
            (VERSION_KEY.to_owned(), FORMAT_VERSION.to_owned()),
            (SOURCE_KEY.to_owned(), self.source.clone()),
        ]);
        safetensors::serialize(views, Some(metadata)).map_err(WeightsError::Serialize)
    }

    /// Reads a stored speaker model, whatever its kind.
    pub fn read(path: &Path) -> Result<Self, WeightsError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| WeightsError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::from_bytes(&bytes, &shown)
    }

    /// Reads a stored speaker model and checks it is `kind` with every tensor `kind` needs.
    pub fn read_kind(
        path: &Path,
        kind: SpeakerModelKind,
        shapes: &[(String, Vec<usize>)],
    ) -> Result<Self, WeightsError> {
        let weights = Self::read(path)?;
        weights.expect(kind, shapes).map_err(|e| match e {
            WeightsError::WrongKind { found, wanted, .. } => WeightsError::WrongKind {
                path: path.display().to_string(),
                found,
                wanted,
            },
            other => other,
        })?;
        Ok(weights)
    }

    /// These weights are a `kind` network with every tensor it needs.
    pub fn expect(&self, kind: SpeakerModelKind, shapes: &[(String, Vec<usize>)]) -> Result<(), WeightsError> {
        if self.kind != kind {
            return Err(WeightsError::WrongKind {
                path: self.source.clone(),
                found: self.kind.tag().to_owned(),
                wanted: kind.tag(),
            });
        }
        self.check_shapes(shapes)
    }

    fn from_bytes(bytes: &[u8], shown: &str) -> Result<Self, WeightsError> {
        let not_safetensors = |source| WeightsError::NotSafetensors {
            path: shown.to_owned(),
            source,
        };
        let (_, metadata) = safetensors::SafeTensors::read_metadata(bytes).map_err(not_safetensors)?;
        let info = metadata.metadata().clone().unwrap_or_default();
        let kind = info
            .get(KIND_KEY)
            .and_then(|t| SpeakerModelKind::from_tag(t))
            .ok_or_else(|| WeightsError::NotSpeakerModel { path: shown.to_owned() })?;
        let version = info.get(VERSION_KEY).cloned().unwrap_or_default();
        if version != FORMAT_VERSION {
            return Err(WeightsError::WrongVersion {
                path: shown.to_owned(),
                found: version,
            });
        }
        let file = safetensors::SafeTensors::deserialize(bytes).map_err(not_safetensors)?;
        let mut tensors = HashMap::new();
        for (name, view) in file.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(WeightsError::NotF32 { name });
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            tensors.insert(name, Tensor::new(view.shape().to_vec(), values));
        }
        Ok(Self {
            kind,
            source: info.get(SOURCE_KEY).cloned().unwrap_or_default(),
            tensors,
        })
    }

    /// Every tensor a network needs is there with its shape.
    pub fn check_shapes(&self, shapes: &[(String, Vec<usize>)]) -> Result<(), WeightsError> {
        for (name, expected) in shapes {
            let tensor = self
                .tensors
                .get(name)
                .ok_or_else(|| WeightsError::Missing { name: name.clone() })?;
            if &tensor.dims != expected {
                return Err(WeightsError::WrongShape {
                    name: name.clone(),
                    found: tensor.dims.clone(),
                    expected: expected.clone(),
                });
            }
        }
        Ok(())
    }

    /// Takes a checked tensor out (the networks own their weights).
    pub fn take(&mut self, name: &str) -> Result<Tensor, WeightsError> {
        self.tensors
            .remove(name)
            .ok_or_else(|| WeightsError::Missing { name: name.to_owned() })
    }
}
