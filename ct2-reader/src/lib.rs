//! Reader for CTranslate2 `model.bin` files (the format faster-whisper uses).
//!
//! Layout: u32 binary version, u16-length spec name, u32 spec revision, u32 variable count,
//! then per variable a u16-length name, u8 rank, u32 dims, a dtype byte, u32 byte count and
//! the raw data; then u32 alias count and (alias, target) name pairs.

use std::collections::HashMap;
use std::io::Read;

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub dims: Vec<usize>,
    pub dtype: DType,
    pub data: Vec<u8>,
}

impl Variable {
    /// The values as f32 (float types only).
    pub fn to_f32(&self) -> Result<Vec<f32>, Ct2Error> {
        let chunks = self.data.chunks_exact(self.dtype.size());
        Ok(match self.dtype {
            DType::F32 => chunks.map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            DType::F16 => chunks
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            DType::BF16 => chunks
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            other => {
                return Err(Ct2Error::Unsupported(format!(
                    "{other:?} weights (quantized models are not supported; use a float16 or float32 one)"
                )));
            }
        })
    }

    /// A scalar integer (head counts and flags are stored this way).
    pub fn as_int(&self) -> Option<i64> {
        let d = &self.data;
        match (self.dtype, d.len()) {
            (DType::I8, 1) => Some(d[0] as i8 as i64),
            (DType::I16, 2) => Some(i16::from_le_bytes([d[0], d[1]]) as i64),
            (DType::I32, 4) => Some(i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64),
            _ => None,
        }
    }
}

#[derive(Debug, Error)]
pub enum Ct2Error {
    #[error("failed to read the model")]
    Io(#[from] std::io::Error),
    #[error("not a CTranslate2 model: {0}")]
    Format(String),
    #[error("unsupported CTranslate2 model: {0}")]
    Unsupported(String),
    #[error("variable {0} is missing")]
    Missing(String),
}

pub struct Ct2Model {
    pub spec_name: String,
    pub variables: HashMap<String, Variable>,
    /// Alias → the variable it names.
    aliases: HashMap<String, String>,
}

/// Upper bound on one variable, to refuse hostile headers before allocating.
const MAX_VARIABLE_BYTES: u64 = 4 << 30;

impl Ct2Model {
    pub fn read<R: Read>(mut r: R) -> Result<Self, Ct2Error> {
        let version = read_u32(&mut r)?;
        if !(1..=10).contains(&version) {
            return Err(Ct2Error::Format(format!("binary version {version}")));
        }
        let spec_name = read_name(&mut r)?;
        let _revision = read_u32(&mut r)?;
        let count = read_u32(&mut r)?;
        if count > 100_000 {
            return Err(Ct2Error::Format(format!("{count} variables")));
        }
        let mut variables = HashMap::with_capacity(count as usize);
        for _ in 0..count {
            let name = read_name(&mut r)?;
            let rank = read_u8(&mut r)? as usize;
            if rank > 8 {
                return Err(Ct2Error::Format(format!("variable {name} has rank {rank}")));
            }
            let dims = (0..rank)
                .map(|_| read_u32(&mut r).map(|d| d as usize))
                .collect::<Result<Vec<_>, _>>()?;
            let dtype_byte = read_u8(&mut r)?;
            let dtype = DType::from_byte(dtype_byte)
                .ok_or_else(|| Ct2Error::Format(format!("variable {name} has dtype {dtype_byte}")))?;
            let nbytes = read_u32(&mut r)? as u64;
            // Checked: a hostile shape must not overflow into a size that happens to match.
            let expected = dims
                .iter()
                .try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d as u64));
            if nbytes > MAX_VARIABLE_BYTES || expected != Some(nbytes) {
                return Err(Ct2Error::Format(format!(
                    "variable {name}: {nbytes} bytes for shape {dims:?}"
                )));
            }
            let data = read_exact_vec(&mut r, nbytes)
                .map_err(|_| Ct2Error::Format(format!("variable {name} is cut short (the file is truncated)")))?;
            variables.insert(name, Variable { dims, dtype, data });
        }
        // Aliases (e.g. the decoder's output projection is the token embedding). Kept as
        // names, not copies, so a file cannot multiply one large variable many times over.
        let mut aliases = HashMap::new();
        if let Ok(n_aliases) = read_u32(&mut r) {
            for _ in 0..n_aliases.min(100_000) {
                let alias = read_name(&mut r)?;
                let target = read_name(&mut r)?;
                if variables.contains_key(&target) && !variables.contains_key(&alias) {
                    aliases.insert(alias, target);
                }
            }
        }
        Ok(Self {
            spec_name,
            variables,
            aliases,
        })
    }

    pub fn get(&self, name: &str) -> Result<&Variable, Ct2Error> {
        let target = self.aliases.get(name).map(String::as_str).unwrap_or(name);
        self.variables
            .get(target)
            .ok_or_else(|| Ct2Error::Missing(name.to_owned()))
    }
}

/// Reads exactly `len` bytes, growing the buffer as bytes arrive, so a header that claims
/// gigabytes in a short file fails at its end instead of allocating the claim up front.
fn read_exact_vec<R: Read>(r: &mut R, len: u64) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    r.take(len).read_to_end(&mut data)?;
    if data.len() as u64 == len {
        Ok(data)
    } else {
        Err(std::io::ErrorKind::UnexpectedEof.into())
    }
}

fn read_name<R: Read>(r: &mut R) -> Result<String, Ct2Error> {
    let mut len = [0u8; 2];
    r.read_exact(&mut len)?;
    let mut bytes = read_exact_vec(r, u16::from_le_bytes(len) as u64)?;
    // Names are stored NUL-terminated.
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    String::from_utf8(bytes).map_err(|_| Ct2Error::Format("a name is not UTF-8".into()))
}

fn read_u32<R: Read>(r: &mut R) -> Result<u32, Ct2Error> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u8<R: Read>(r: &mut R) -> Result<u8, Ct2Error> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}
