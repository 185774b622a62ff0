//! `batch-processor --quantize IN OUT TYPE`: a GGML whisper model with its weight matrices
//! quantized (q8_0, q5_1, q5_0, q4_1, q4_0) by ggml's own quantizer, the way whisper.cpp's
//! `quantize` tool does it: every 2-D `*.weight` tensor is quantized; positional
//! embeddings, convolution kernels, biases and norms keep their type. The app runs this
//! in the worker binary so that the native ggml code stays out of its own process.
//!
//! The input is validated first and the output is validated before it is moved into place
//! (written to a temporary file beside it, so a failed run leaves nothing half-written).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use shared_ipc::model_file::{self, ggml_type_layout};

/// A quantized weight type: its name, ggml type id and whisper.cpp `ftype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantType {
    pub name: &'static str,
    ggml_type: u32,
    ftype: i32,
}

pub const TYPES: &[QuantType] = &[
    QuantType {
        name: "q8_0",
        ggml_type: whisper_rs_sys::ggml_type_GGML_TYPE_Q8_0,
        ftype: 7,
    },
    QuantType {
        name: "q5_1",
        ggml_type: whisper_rs_sys::ggml_type_GGML_TYPE_Q5_1,
        ftype: 9,
    },
    QuantType {
        name: "q5_0",
        ggml_type: whisper_rs_sys::ggml_type_GGML_TYPE_Q5_0,
        ftype: 8,
    },
    QuantType {
        name: "q4_1",
        ggml_type: whisper_rs_sys::ggml_type_GGML_TYPE_Q4_1,
        ftype: 3,
    },
    QuantType {
        name: "q4_0",
        ggml_type: whisper_rs_sys::ggml_type_GGML_TYPE_Q4_0,
        ftype: 2,
    },
];

/// whisper.cpp stores `ftype + GGML_QNT_VERSION * 1000` for quantized models.
const QUANT_VERSION_OFFSET: i32 = 2 * 1000;
const F32: i32 = 0;
const F16: i32 = 1;
/// Elements per quantization block of every type above.
const BLOCK: usize = 32;

pub fn find(name: &str) -> Option<QuantType> {
    TYPES.iter().copied().find(|t| t.name == name)
}

/// What a quantization did.
pub struct Report {
    pub quantized_tensors: usize,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

pub fn quantize_file(input: &Path, output: &Path, kind: QuantType) -> Result<Report> {
    let summary = model_file::validate_file(input).with_context(|| format!("{} is not usable", input.display()))?;
    if summary.hparams.ftype % 1000 > F16 {
        bail!("{} is quantized already; quantize an f16 or f32 model", input.display());
    }
    let dir = output.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".quantize-").tempfile_in(dir)?;
    let mut r = BufReader::with_capacity(1 << 20, File::open(input)?);
    let quantized_tensors = {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        let n = copy_quantized(&mut r, &mut w, kind, summary.n_tensors)?;
        w.flush()?;
        n
    };
    tmp.as_file().sync_all()?;
    model_file::validate_file(tmp.path()).context("the quantized model does not validate")?;
    let bytes_out = tmp.as_file().metadata()?.len();
    tmp.persist(output)
        .map_err(|e| e.error)
        .with_context(|| format!("failed to write {}", output.display()))?;
    Ok(Report {
        quantized_tensors,
        bytes_in: summary.file_len,
        bytes_out,
    })
}

fn copy_quantized(r: &mut impl Read, w: &mut impl Write, kind: QuantType, n_tensors: usize) -> Result<usize> {
    // Magic and hyper-parameters; the last one is the weight type.
    let mut header = [0u8; 4 * 12];
    r.read_exact(&mut header)?;
    header[44..48].copy_from_slice(&(QUANT_VERSION_OFFSET + kind.ftype).to_le_bytes());
    w.write_all(&header)?;
    // Mel filters: two counts, then that many f32.
    let n_mel = copy_i32(r, w)?;
    let n_fft = copy_i32(r, w)?;
    copy_bytes(r, w, 4 * n_mel as u64 * n_fft as u64)?;
    // Vocabulary: a count, then length-prefixed words.
    let n_words = copy_i32(r, w)?;
    for _ in 0..n_words {
        let len = copy_i32(r, w)?;
        copy_bytes(r, w, len as u64)?;
    }

    let mut quantized = 0;
    for _ in 0..n_tensors {
        let n_dims = read_i32(r)?;
        let name_len = read_i32(r)?;
        let ttype = read_i32(r)?;
        let dims: Vec<i32> = (0..n_dims).map(|_| read_i32(r)).collect::<Result<_>>()?;
        let mut name = vec![0u8; name_len as usize];
        r.read_exact(&mut name)?;
        let (block, block_bytes) = ggml_type_layout(ttype).context("unknown tensor type")?;
        let elements: u64 = dims.iter().map(|&d| d as u64).product();
        let mut data = vec![0u8; (elements / block * block_bytes) as usize];
        r.read_exact(&mut data)?;

        let row = dims[0] as usize;
        let wanted =
            n_dims == 2 && name.ends_with(b".weight") && matches!(ttype, F32 | F16) && row.is_multiple_of(BLOCK);
        let (ttype, data) = if wanted {
            quantized += 1;
            (
                kind.ggml_type as i32,
                quantize(&data, ttype, row, dims[1] as usize, kind),
            )
        } else {
            (ttype, data)
        };
        for v in [n_dims, name_len, ttype].iter().chain(&dims) {
            w.write_all(&v.to_le_bytes())?;
        }
        w.write_all(&name)?;
        w.write_all(&data)?;
    }
    Ok(quantized)
}

/// One matrix of `rows` rows of `row` f32 or f16 values → `kind` blocks.
fn quantize(data: &[u8], ttype: i32, row: usize, rows: usize, kind: QuantType) -> Vec<u8> {
    let values: Vec<f32> = if ttype == F16 {
        data.chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect()
    } else {
        data.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    // Twice the f32 size is far more than any of these types needs.
    let mut out = vec![0u8; values.len() * 8];
    // SAFETY: `values` holds rows × row floats, `out` has room for their quantized form (at
    // most ~1.1 bytes per value for these types), and no importance matrix is needed for
    // them.
    let written = unsafe {
        whisper_rs_sys::ggml_quantize_chunk(
            kind.ggml_type,
            values.as_ptr(),
            out.as_mut_ptr().cast(),
            0,
            rows as i64,
            row as i64,
            std::ptr::null(),
        )
    };
    out.truncate(written);
    out
}

fn read_i32(r: &mut impl Read) -> Result<i32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(i32::from_le_bytes(b))
}

fn copy_i32(r: &mut impl Read, w: &mut impl Write) -> Result<i32> {
    let v = read_i32(r)?;
    w.write_all(&v.to_le_bytes())?;
    Ok(v)
}

fn copy_bytes(r: &mut impl Read, w: &mut impl Write, n: u64) -> Result<()> {
    let copied = std::io::copy(&mut r.take(n), w)?;
    if copied != n {
        bail!("model is truncated");
    }
    Ok(())
}
