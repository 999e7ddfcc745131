//! Hex text → bytes with errors that say where the text is wrong.

use crate::PduError;

/// Decode hex text of any case after trimming surrounding whitespace. An odd digit count or a
/// non-hex character is an error naming the position.
pub(crate) fn decode_hex_bytes(text: &str) -> Result<Vec<u8>, PduError> {
    let text = text.trim();
    match hex::decode(text) {
        Ok(bytes) => Ok(bytes),
        Err(hex::FromHexError::InvalidHexCharacter { c, index }) => Err(PduError::InvalidHex {
            position: index,
            found: c,
        }),
        Err(hex::FromHexError::OddLength) => {
            // Report a bad character before the odd length: it is the more useful message.
            match text.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
                Some((position, found)) => Err(PduError::InvalidHex { position, found }),
                None => Err(PduError::OddHexLength { digits: text.len() }),
            }
        }
        Err(hex::FromHexError::InvalidStringLength) => {
            Err(PduError::OddHexLength { digits: text.len() })
        }
    }
}
