//! UCS2 as SMS uses it in practice: big-endian UTF-16, so characters outside the BMP (emoji) travel
//! as surrogate pairs. Also the hex form modems answer in when `AT+CSCS="UCS2"`.

use crate::PduError;

/// UTF-16BE bytes of `text`.
pub fn encode(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Text from UTF-16BE bytes. Lossy by necessity: an unpaired surrogate becomes U+FFFD and a
/// trailing odd byte is ignored.
pub fn decode(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Upper-case hex of the UTF-16BE bytes (`"Hi"` → `"00480069"`).
pub fn to_hex(text: &str) -> String {
    hex::encode_upper(encode(text))
}

/// Text from a UCS2 hex answer (`+CSCA: "002B0033…"`, `+CUSD: …`). Whitespace around is trimmed;
/// the digit count must be a multiple of 4.
pub fn from_hex(hex_text: &str) -> Result<String, PduError> {
    let bytes = crate::hexutil::decode_hex_bytes(hex_text)?;
    if bytes.len() % 2 != 0 {
        return Err(PduError::OddHexLength {
            digits: bytes.len() * 2,
        });
    }
    Ok(decode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_travel_as_surrogate_pairs() {
        assert_eq!(to_hex("😀"), "D83DDE00");
        assert_eq!(from_hex("d83dde00").unwrap(), "😀");
    }

    #[test]
    fn chinese_text_decodes_from_the_python_messaging_vector() {
        assert_eq!(from_hex("4E2D5174901A8BAF").unwrap(), "中兴通讯");
    }

    #[test]
    fn unpaired_surrogate_becomes_replacement_character() {
        assert_eq!(decode(&[0xD8, 0x3D, 0x00, 0x41]), "\u{FFFD}A");
    }

    #[test]
    fn hex_of_two_digits_is_half_a_character_and_rejected() {
        assert!(from_hex("00").is_err());
        assert!(from_hex("00ZZ").is_err());
    }
}
