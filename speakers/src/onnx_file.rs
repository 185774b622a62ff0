//! Just enough of the ONNX format to take a network's weights out of it: the graph's nodes
//! (which tensor feeds which operation, in order) and its initializers (the tensors). The
//! messages declare only the fields read here; protobuf skips the rest.

use std::collections::HashMap;
use std::path::Path;

use prost::Message;

use crate::weights::Tensor;

/// Bigger than any network read here by a wide margin; a file past it is refused unread.
const MAX_FILE_BYTES: u64 = 256 << 20;
const FLOAT: i32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("failed to read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is {size} bytes, more than an ONNX network read here can be")]
    TooBig { path: String, size: u64 },
    #[error("{path} is not an ONNX file: {cause}")]
    NotOnnx { path: String, cause: prost::DecodeError },
    #[error("{path} has no graph")]
    NoGraph { path: String },
    #[error("tensor {name} is not stored as f32 values in the file")]
    Unsupported { name: String },
    #[error("tensor {name} has {values} values for its shape {dims:?}")]
    BadSize {
        name: String,
        dims: Vec<i64>,
        values: usize,
    },
}

#[derive(Clone, PartialEq, Message)]
struct ModelProto {
    #[prost(message, optional, tag = "7")]
    graph: Option<GraphProto>,
}

#[derive(Clone, PartialEq, Message)]
struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    node: Vec<NodeProto>,
    #[prost(message, repeated, tag = "5")]
    initializer: Vec<TensorProto>,
}

#[derive(Clone, PartialEq, Message)]
struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    input: Vec<String>,
    #[prost(string, tag = "4")]
    op_type: String,
}

#[derive(Clone, PartialEq, Message)]
struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    dims: Vec<i64>,
    #[prost(int32, tag = "2")]
    data_type: i32,
    #[prost(float, repeated, tag = "4")]
    float_data: Vec<f32>,
    #[prost(string, tag = "8")]
    name: String,
    #[prost(bytes = "vec", tag = "9")]
    raw_data: Vec<u8>,
}

/// One operation of the graph: its kind and the names of what it reads.
pub struct Node {
    pub op_type: String,
    pub inputs: Vec<String>,
}

/// An ONNX file's graph: nodes in order, and its f32 initializers by name.
pub struct OnnxGraph {
    pub nodes: Vec<Node>,
    pub tensors: HashMap<String, Tensor>,
}

impl OnnxGraph {
    pub fn read(path: &Path) -> Result<Self, OnnxError> {
        let shown = path.display().to_string();
        let read_error = |source| OnnxError::Read {
            path: shown.clone(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read_error)?.len();
        if size > MAX_FILE_BYTES {
            return Err(OnnxError::TooBig { path: shown, size });
        }
        let bytes = std::fs::read(path).map_err(read_error)?;
        let model = ModelProto::decode(bytes.as_slice()).map_err(|cause| OnnxError::NotOnnx {
            path: shown.clone(),
            cause,
        })?;
        let graph = model.graph.ok_or(OnnxError::NoGraph { path: shown })?;
        let mut tensors = HashMap::new();
        for proto in graph.initializer {
            // Integer constants (shapes, indices) are not weights; only f32 ones are kept.
            if proto.data_type != FLOAT {
                continue;
            }
            let tensor = float_tensor(&proto)?;
            tensors.insert(proto.name, tensor);
        }
        let nodes = graph
            .node
            .into_iter()
            .map(|n| Node {
                op_type: n.op_type,
                inputs: n.input,
            })
            .collect();
        Ok(Self { nodes, tensors })
    }

    /// The nodes of one kind, in graph order.
    pub fn nodes_of<'a>(&'a self, op_type: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes.iter().filter(move |n| n.op_type == op_type)
    }
}

fn float_tensor(proto: &TensorProto) -> Result<Tensor, OnnxError> {
    let values: Vec<f32> = if !proto.raw_data.is_empty() {
        proto
            .raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    } else {
        proto.float_data.clone()
    };
    let bad_size = || OnnxError::BadSize {
        name: proto.name.clone(),
        dims: proto.dims.clone(),
        values: values.len(),
    };
    let dims: Vec<usize> = proto
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad_size()))
        .collect::<Result<_, _>>()?;
    let expected = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(bad_size)?;
    if !proto.raw_data.len().is_multiple_of(4) || values.len() != expected {
        return Err(bad_size());
    }
    if expected > 0 && proto.raw_data.is_empty() && proto.float_data.is_empty() {
        return Err(OnnxError::Unsupported {
            name: proto.name.clone(),
        });
    }
    Ok(Tensor { dims, values })
}
