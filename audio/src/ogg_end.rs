//! Is an Ogg file cut short? Ogg declares no length up front, and a decoder that reaches the
//! end of a cut file simply stops, so a half-downloaded episode would pass for a short one.
//! Every Ogg stream ends with a page flagged end-of-stream; a file whose last intact page
//! lacks that flag, or is followed by a torn page, was cut.

use std::io::{self, Read, Seek, SeekFrom};

const CAPTURE: &[u8; 4] = b"OggS";
const HEADER_LEN: usize = 27;
/// The largest page: header, 255 lacing values, 255 × 255 body bytes.
const MAX_PAGE: u64 = (HEADER_LEN + 255 + 255 * 255) as u64;
const END_OF_STREAM: u8 = 0x04;
/// Capture patterns checked from the end before giving up (and leaving it to the decoder).
const MAX_CANDIDATES: usize = 64;

/// `Some(why)` when `media` is an Ogg file that was cut short; `None` when it is complete or
/// not Ogg (or too damaged to tell, which the decoder then reports). Leaves the position
/// anywhere.
pub fn cut_short<R: Read + Seek>(media: &mut R) -> io::Result<Option<String>> {
    media.seek(SeekFrom::Start(0))?;
    let mut magic = [0u8; 4];
    if media.read(&mut magic)? < 4 || &magic != CAPTURE {
        return Ok(None);
    }
    let len = media.seek(SeekFrom::End(0))?;
    let tail_start = len.saturating_sub(2 * MAX_PAGE);
    media.seek(SeekFrom::Start(tail_start))?;
    let mut tail = Vec::new();
    media.take(2 * MAX_PAGE).read_to_end(&mut tail)?;

    // The last intact page: a capture pattern whose page fits and whose checksum holds (the
    // pattern can also occur by chance inside audio data). A crafted tail full of capture
    // patterns could make this quadratic, so only so many candidates are checked.
    let last_page = (0..tail.len().saturating_sub(HEADER_LEN))
        .rev()
        .filter(|&at| tail[at..].starts_with(CAPTURE))
        .take(MAX_CANDIDATES)
        .find_map(|at| intact_page(&tail[at..]).map(|page_len| (at, page_len)));
    let Some((at, page_len)) = last_page else {
        return Ok(None);
    };
    let flags = tail[at + 5];
    if flags & END_OF_STREAM == 0 {
        return Ok(Some("the Ogg stream stops before its end-of-stream page".into()));
    }
    if tail[at + page_len..].starts_with(CAPTURE) {
        return Ok(Some("its last Ogg page is cut off".into()));
    }
    Ok(None)
}

/// The length of the page at the start of `bytes`, if it is whole and its CRC matches.
fn intact_page(bytes: &[u8]) -> Option<usize> {
    let segments = *bytes.get(26)? as usize;
    let lacing = bytes.get(HEADER_LEN..HEADER_LEN + segments)?;
    let page_len = HEADER_LEN + segments + lacing.iter().map(|&l| l as usize).sum::<usize>();
    let page = bytes.get(..page_len)?;
    let stored = u32::from_le_bytes([page[22], page[23], page[24], page[25]]);
    (page_crc(page) == stored).then_some(page_len)
}

/// Ogg's CRC-32 (polynomial 0x04c11db7, not reflected, zero start) over the page with its
/// checksum field taken as zero.
fn page_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc ^= (byte as u32) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A page with a valid checksum.
    fn page(flags: u8, body: &[u8]) -> Vec<u8> {
        let mut page = Vec::new();
        page.extend_from_slice(CAPTURE);
        page.extend_from_slice(&[0, flags]);
        page.extend_from_slice(&[0; 16]);
        page.extend_from_slice(&[0; 4]);
        page.push(1);
        page.push(body.len() as u8);
        page.extend_from_slice(body);
        let crc = page_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        page
    }

    #[test]
    fn a_stream_without_its_last_page_or_with_a_torn_one_is_cut() {
        let mut whole = page(0x02, b"first");
        whole.extend(page(0, b"middle OggS inside the data"));
        whole.extend(page(END_OF_STREAM, b"last"));
        assert_eq!(cut_short(&mut Cursor::new(&whole)).expect("read"), None);

        let without_last = &whole[..whole.len() - page(END_OF_STREAM, b"last").len()];
        assert!(cut_short(&mut Cursor::new(without_last)).expect("read").is_some());
        let torn = &whole[..whole.len() - 2];
        assert!(cut_short(&mut Cursor::new(torn)).expect("read").is_some());
        assert_eq!(cut_short(&mut Cursor::new(b"RIFF....WAVE")).expect("read"), None);
    }
}
