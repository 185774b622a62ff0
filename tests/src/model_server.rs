//! A model host on 127.0.0.1 for install tests: raw sockets, so a dropped connection is a
//! real one.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha1::{Digest, Sha1};

/// How the test server answers the n-th request.
#[derive(Clone, Copy)]
pub enum Serve {
    /// Promise the whole file, send only the first half, then drop the connection.
    HalfThenDrop,
    /// Honour Range requests.
    Honest,
    /// The whole file with one byte flipped.
    Corrupted,
}

/// A minimal HTTP/1.1 server on 127.0.0.1, one request per connection, answering the n-th
/// request as `plan` says. Written on raw sockets so a dropped connection is a real one.
pub fn start_server(model: Vec<u8>, plan: Vec<Serve>) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).map(|k| k == 1).unwrap_or(false) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_lowercase();
            let range_start: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("range: bytes="))
                .and_then(|r| r.trim().trim_end_matches('-').parse().ok())
                .unwrap_or(0);
            let total = model.len();
            let (status, extra, body): (&str, String, Vec<u8>) = match plan.get(n).copied().unwrap_or(Serve::Honest) {
                Serve::HalfThenDrop => ("200 OK", String::new(), model[..total / 2].to_vec()),
                Serve::Corrupted => {
                    let mut bytes = model.clone();
                    bytes[total / 3] ^= 0xff;
                    ("200 OK", String::new(), bytes)
                }
                Serve::Honest if range_start > 0 => (
                    "206 Partial Content",
                    format!("Content-Range: bytes {range_start}-{}/{total}\r\n", total - 1),
                    model[range_start..].to_vec(),
                ),
                Serve::Honest => ("200 OK", String::new(), model.clone()),
            };
            // A dropped transfer promises the whole file and sends half of it.
            let promised = match plan.get(n) {
                Some(Serve::HalfThenDrop) => total,
                _ => body.len(),
            };
            let header = format!("HTTP/1.1 {status}\r\nContent-Length: {promised}\r\n{extra}Connection: close\r\n\r\n");
            let _ = stream
                .write_all(header.as_bytes())
                .and_then(|_| stream.write_all(&body));
        }
    });
    (url, served)
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    Sha1::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
