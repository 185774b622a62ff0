//! Turns the worker's stdout bytes into events. Never fails on bad input: a malformed,
//! oversized or unknown line becomes an [`Incoming`] value of its own and reading goes on.

use std::io::Read;

use crate::protocol::{MAX_LINE_BYTES, WorkerEvent};

/// One decoded line.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Event(WorkerEvent),
    /// Valid JSON with a `type` this reader does not know (a newer worker).
    Unknown {
        type_name: String,
    },
    /// Not a protocol line; `excerpt` is its start, for the log.
    Malformed {
        error: String,
        excerpt: String,
    },
    /// A line longer than the cap; its content was discarded.
    Oversized {
        len: usize,
    },
}

/// Push-based decoder: feed byte chunks as they arrive, take complete lines out.
#[derive(Debug)]
pub struct LineDecoder {
    max_line: usize,
    buf: Vec<u8>,
    /// Bytes of the current line dropped because it passed the cap.
    discarding: Option<usize>,
}

impl Default for LineDecoder {
    fn default() -> Self {
        Self::new(MAX_LINE_BYTES)
    }
}

impl LineDecoder {
    pub fn new(max_line: usize) -> Self {
        Self {
            max_line,
            buf: Vec::new(),
            discarding: None,
        }
    }

    /// Consumes `bytes`, appending every line they complete to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Incoming>) {
        while !bytes.is_empty() {
            let newline = bytes.iter().position(|&b| b == b'\n');
            let (chunk, rest, complete) = match newline {
                Some(i) => (&bytes[..i], &bytes[i + 1..], true),
                None => (bytes, &[][..], false),
            };
            bytes = rest;
            if let Some(dropped) = self.discarding.as_mut() {
                *dropped += chunk.len();
            } else if self.buf.len() + chunk.len() > self.max_line {
                self.discarding = Some(self.buf.len() + chunk.len());
                self.buf.clear();
            } else {
                self.buf.extend_from_slice(chunk);
            }
            if complete {
                if let Some(len) = self.discarding.take() {
                    out.push(Incoming::Oversized { len });
                } else {
                    let line = std::mem::take(&mut self.buf);
                    if let Some(item) = decode_line(&line) {
                        out.push(item);
                    }
                }
            }
        }
    }

    /// Flushes a last line that had no newline (the stream ended mid-line).
    pub fn finish(&mut self, out: &mut Vec<Incoming>) {
        if let Some(len) = self.discarding.take() {
            out.push(Incoming::Oversized { len });
        } else if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            if let Some(item) = decode_line(&line) {
                out.push(item);
            }
        }
    }
}

/// Decodes one line (without its newline). Blank lines are skipped.
pub fn decode_line(line: &[u8]) -> Option<Incoming> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    match serde_json::from_slice::<WorkerEvent>(line) {
        Ok(event) => Some(Incoming::Event(event)),
        Err(err) => Some(classify_failure(line, err)),
    }
}

fn classify_failure(line: &[u8], err: serde_json::Error) -> Incoming {
    // A well-formed object whose tag we do not know comes from a newer worker.
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(line)
        && let Some(serde_json::Value::String(type_name)) = map.get("type")
        && !is_known_type(type_name)
    {
        return Incoming::Unknown {
            type_name: type_name.clone(),
        };
    }
    let excerpt: String = String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned();
    Incoming::Malformed {
        error: err.to_string(),
        excerpt,
    }
}

fn is_known_type(name: &str) -> bool {
    const KNOWN: &[&str] = &[
        "hello",
        "stage",
        "progress",
        "segment",
        "notice",
        "file_completed",
        "file_failed",
        "heartbeat",
        "memory",
        "paused",
        "resumed",
        "stopping",
        "finished",
        "error",
    ];
    KNOWN.contains(&name)
}

/// Blocking reader over a byte stream (the worker's stdout pipe).
pub struct EventReader<R> {
    inner: R,
    decoder: LineDecoder,
    pending: std::collections::VecDeque<Incoming>,
    scratch: Vec<Incoming>,
    eof: bool,
}

impl<R: Read> EventReader<R> {
    pub fn new(inner: R) -> Self {
        Self::with_max_line(inner, MAX_LINE_BYTES)
    }

    pub fn with_max_line(inner: R, max_line: usize) -> Self {
        Self {
            inner,
            decoder: LineDecoder::new(max_line),
            pending: Default::default(),
            scratch: Vec::new(),
            eof: false,
        }
    }

    /// The next line, or `None` at end of stream. I/O errors end the stream.
    pub fn next_incoming(&mut self) -> Option<Incoming> {
        let mut chunk = [0u8; 16 * 1024];
        while self.pending.is_empty() && !self.eof {
            match self.inner.read(&mut chunk) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(0) | Err(_) => {
                    self.eof = true;
                    self.decoder.finish(&mut self.scratch);
                }
                Ok(n) => self.decoder.feed(&chunk[..n], &mut self.scratch),
            }
            self.pending.extend(self.scratch.drain(..));
        }
        self.pending.pop_front()
    }
}

impl<R: Read> Iterator for EventReader<R> {
    type Item = Incoming;
    fn next(&mut self) -> Option<Incoming> {
        self.next_incoming()
    }
}
