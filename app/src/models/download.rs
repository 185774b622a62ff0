//! Downloads a model from the whisper.cpp model host: resumable (HTTP Range on a `.part`
//! file), size- and SHA-1-verified, validated as a model before it is put in place.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sha1::{Digest, Sha1};

use super::catalog;
use super::store::{ModelStore, sanitise_name};

pub struct InstallRequest<'a> {
    pub name: &'a str,
    /// Expected SHA-1 (hex); defaults to the catalog's.
    pub sha1: Option<&'a str>,
    pub base_url: String,
}

/// Downloads and installs; `progress(done, total)` is called as bytes arrive.
pub fn install(
    store: &ModelStore,
    req: &InstallRequest<'_>,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<PathBuf> {
    let name = sanitise_name(req.name)?;
    let expected_sha1 = req
        .sha1
        .map(str::to_owned)
        .or_else(|| catalog::find(&name).map(|e| e.sha1.to_owned()));
    crate::data_dirs::DataDirs::ensure_private(store.dir())
        .with_context(|| format!("failed to create {}", store.dir().display()))?;
    let url = format!("{}/{}", req.base_url.trim_end_matches('/'), catalog::file_name(&name));
    let part = store.dir().join(format!(".{}.part", catalog::file_name(&name)));
    let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_body(None)
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(&url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let response = request.call().with_context(|| format!("failed to reach {url}"))?;
    let status = response.status().as_u16();
    let (resume_from, total) = match status {
        206 => (
            have,
            content_range_total(&response).or_else(|| content_length(&response).map(|l| have + l)),
        ),
        200 => (0, content_length(&response)),
        416 if have > 0 => (have, Some(have)),
        404 => bail!("model {name} is not on the server ({url})"),
        _ => bail!("download of {url} failed: HTTP {status}"),
    };
    let mut file = OpenOptions::new()
        .create(true)
        .append(resume_from > 0)
        .write(true)
        .truncate(resume_from == 0)
        .open(&part)?;
    let mut done = resume_from;
    progress(done, total);
    if status != 416 {
        let mut body = response.into_body().into_reader();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    file.sync_all().ok();
                    bail!(
                        "download of {name} was interrupted at {done} bytes ({e}); run the same command again to resume"
                    );
                }
            };
            file.write_all(&buf[..n])?;
            done += n as u64;
            progress(done, total);
        }
    }
    file.sync_all()?;
    drop(file);
    tracing::debug!("download of {url}: HTTP {status}, resumed from {resume_from}, now {done} of {total:?} bytes");
    if let Some(total) = total
        && done != total
    {
        bail!("download of {name} stopped at {done} of {total} bytes; run the same command again to resume");
    }
    if let Some(expected) = expected_sha1 {
        let actual = sha1_of(&part)?;
        if !actual.eq_ignore_ascii_case(&expected) {
            std::fs::remove_file(&part).ok();
            bail!(
                "downloaded {name} is corrupt: SHA-1 {actual}, expected {expected}; the partial file was removed, run the command again"
            );
        }
    }
    let installed = store
        .import(&part, Some(&name))
        .with_context(|| format!("downloaded {name} is not a usable model"))?;
    std::fs::remove_file(&part).ok();
    Ok(store.path_of(&installed))
}

fn content_length(r: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    r.headers().get("content-length")?.to_str().ok()?.parse().ok()
}

fn content_range_total(r: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    let value = r.headers().get("content-range")?.to_str().ok()?;
    value.rsplit('/').next()?.parse().ok()
}

fn sha1_of(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
