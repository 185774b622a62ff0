//! GPT-2's byte-level BPE writes each byte as a printable character; vocabularies stored as
//! text (CTranslate2's `vocabulary.txt`) must be mapped back to raw bytes for GGML.

use std::collections::HashMap;

/// Printable byte ranges that stand for themselves.
fn is_direct(b: u8) -> bool {
    (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b)
}

/// char → byte for all 256 bytes.
pub fn decoder_table() -> HashMap<char, u8> {
    let mut table = HashMap::with_capacity(256);
    let mut next_shifted = 0u32;
    for b in 0..=255u8 {
        let c = if is_direct(b) {
            char::from(b)
        } else {
            let c = char::from_u32(256 + next_shifted).unwrap_or('\u{FFFD}');
            next_shifted += 1;
            c
        };
        table.insert(c, b);
    }
    table
}

/// Raw bytes of one vocabulary entry; `None` if it holds a character outside the table
/// (special tokens such as `<|endoftext|>` are plain ASCII and map to themselves).
pub fn token_bytes(token: &str, table: &HashMap<char, u8>) -> Option<Vec<u8>> {
    token.chars().map(|c| table.get(&c).copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_and_newline_round_trip() {
        let t = decoder_table();
        assert_eq!(t.len(), 256);
        assert_eq!(token_bytes("Ġhello", &t), Some(b" hello".to_vec()));
        assert_eq!(token_bytes("Ċ", &t), Some(b"\n".to_vec()));
        assert_eq!(token_bytes("Ã©", &t), Some("é".as_bytes().to_vec()));
    }
}
