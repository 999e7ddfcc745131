//! GSM 7-bit alphabet (TS 23.038 §6.2.1): text ⇄ septets (with the 0x1B escape to the extension /
//! national single shift table) and septets ⇄ packed octets.
//!
//! The unpacked form (one septet per byte) is what text mode uses (`AT+CMGF=1`, `AT+CSCS="GSM"`):
//! [`encode_unpacked`] / [`decode_unpacked`]. PDUs carry the packed form: [`pack`] / [`unpack`].

use crate::NationalLanguage;
use crate::PduError;
use crate::tables;

/// The escape septet that selects the single shift (extension) table for the next septet.
pub const ESCAPE: u8 = 0x1B;

/// Which tables a GSM-7 text uses: the locking shift table (the base alphabet) and the single
/// shift table (reached through [`ESCAPE`]). `None` means the default alphabet / its extension.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tables {
    pub locking: Option<NationalLanguage>,
    pub single: Option<NationalLanguage>,
}

impl Tables {
    /// The default alphabet with the default extension table.
    pub const DEFAULT: Tables = Tables {
        locking: None,
        single: None,
    };

    fn base(&self) -> &'static [char; 128] {
        match self.locking {
            Some(NationalLanguage::Turkish) => &tables::TURKISH_LOCKING,
            Some(NationalLanguage::Portuguese) => &tables::PORTUGUESE_LOCKING,
            // Spanish has no locking shift table: the default alphabet is used.
            Some(NationalLanguage::Spanish) | None => &tables::DEFAULT,
        }
    }

    fn shift(&self) -> &'static [(u8, char)] {
        match self.single {
            Some(NationalLanguage::Turkish) => tables::TURKISH_SINGLE,
            Some(NationalLanguage::Spanish) => tables::SPANISH_SINGLE,
            Some(NationalLanguage::Portuguese) => tables::PORTUGUESE_SINGLE,
            None => tables::DEFAULT_EXTENSION,
        }
    }

    /// The septets for one character (1, or 2 with the escape), or `None` if these tables
    /// cannot carry it.
    pub fn encode_char(&self, ch: char) -> Option<Septets> {
        if ch == '\u{1b}' {
            return None;
        }
        // Every table in use keeps ASCII letters, digits and space at their ASCII codes.
        if ch.is_ascii_alphanumeric() || ch == ' ' {
            return Some(Septets::One(ch as u8));
        }
        if let Some(code) = self.base().iter().position(|&c| c == ch) {
            // position < 128, so the cast cannot truncate.
            return Some(Septets::One(code as u8));
        }
        self.shift()
            .iter()
            .find(|&&(_, c)| c == ch)
            .map(|&(code, _)| Septets::Two(code))
    }

    /// Septets for a whole text; the error names the first character these tables cannot carry.
    pub fn encode(&self, text: &str) -> Result<Vec<u8>, PduError> {
        let mut out = Vec::with_capacity(text.len());
        for (position, ch) in text.chars().enumerate() {
            match self.encode_char(ch) {
                Some(Septets::One(s)) => out.push(s),
                Some(Septets::Two(s)) => out.extend_from_slice(&[ESCAPE, s]),
                None => {
                    return Err(PduError::Unencodable {
                        ch,
                        position,
                        encoding: crate::Encoding::Gsm7,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Text from septets (values above 0x7F are masked). An escape followed by a code the
    /// single shift table lacks yields the base character (23.038 §6.2.1.1 note); a trailing
    /// escape yields nothing.
    pub fn decode(&self, septets: &[u8]) -> String {
        let base = self.base();
        let shift = self.shift();
        let mut out = String::with_capacity(septets.len());
        let mut iter = septets.iter().map(|s| usize::from(s & 0x7F));
        while let Some(s) = iter.next() {
            if s == usize::from(ESCAPE) {
                let Some(next) = iter.next() else { break };
                match shift.iter().find(|&&(code, _)| usize::from(code) == next) {
                    Some(&(_, ch)) => out.push(ch),
                    None if next == usize::from(ESCAPE) => out.push(' '),
                    None => out.push(base[next]),
                }
            } else {
                out.push(base[s]);
            }
        }
        out
    }
}

/// How many septets one character takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Septets {
    /// A character of the base (locking) table.
    One(u8),
    /// A character of the single shift table: escape + this code.
    Two(u8),
}

impl Septets {
    /// 1 or 2.
    pub fn len(self) -> usize {
        match self {
            Septets::One(_) => 1,
            Septets::Two(_) => 2,
        }
    }

    /// Never empty; present for clippy's `len_without_is_empty`.
    pub fn is_empty(self) -> bool {
        false
    }
}

/// Unpacked septets (one per byte) in the default alphabet + extension table.
pub fn encode_unpacked(text: &str) -> Result<Vec<u8>, PduError> {
    Tables::DEFAULT.encode(text)
}

/// Text from unpacked septets in the default alphabet + extension table.
pub fn decode_unpacked(septets: &[u8]) -> String {
    Tables::DEFAULT.decode(septets)
}

/// Number of septets `text` needs in the default alphabet, or `None` if it cannot be encoded.
pub fn septet_count(text: &str) -> Option<usize> {
    text.chars()
        .map(|c| Tables::DEFAULT.encode_char(c).map(Septets::len))
        .sum()
}

/// Pack septets LSB first, after `fill_bits` zero bits (0..=6, used after a user data header).
pub fn pack(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let fill = usize::from(fill_bits);
    let bits = fill + septets.len() * 7;
    let mut out = vec![0u8; bits.div_ceil(8)];
    for (i, &s) in septets.iter().enumerate() {
        let pos = fill + i * 7;
        let (byte, shift) = (pos / 8, pos % 8);
        let v = u16::from(s & 0x7F) << shift;
        // pos + 7 <= bits, so `byte` is in range; `byte + 1` only when the septet straddles.
        out[byte] |= (v & 0xFF) as u8;
        if shift > 1 {
            out[byte + 1] |= (v >> 8) as u8;
        }
    }
    out
}

/// Unpack `count` septets from `bytes`, skipping `fill_bits` leading bits. Stops early (returns
/// fewer) if `bytes` runs out.
pub fn unpack(bytes: &[u8], fill_bits: u8, count: usize) -> Vec<u8> {
    let fill = usize::from(fill_bits);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let pos = fill + i * 7;
        let (byte, shift) = (pos / 8, pos % 8);
        let Some(&lo) = bytes.get(byte) else { break };
        let hi = if shift > 1 {
            match bytes.get(byte + 1) {
                Some(&hi) => hi,
                None => break,
            }
        } else {
            0
        };
        let v = (u16::from(hi) << 8 | u16::from(lo)) >> shift;
        out.push((v & 0x7F) as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn packing_matches_the_python_gsmmodem_vectors() {
        assert_eq!(pack(&encode_unpacked("123").unwrap(), 0), hex("31D90C"));
        assert_eq!(
            pack(&encode_unpacked("Hello World!").unwrap(), 0),
            hex("C8329BFD065DDF72363904")
        );
    }

    #[test]
    fn extension_characters_take_an_escape_each() {
        assert_eq!(
            encode_unpacked("[{abc}]~").unwrap(),
            hex("1B3C1B286162631B291B3E1B3D")
        );
        assert_eq!(septet_count("€"), Some(2));
    }

    #[test]
    fn unpack_reverses_pack_for_every_fill() {
        let septets: Vec<u8> = (0..100u8).map(|i| i % 128).collect();
        for fill in 0..7 {
            assert_eq!(unpack(&pack(&septets, fill), fill, septets.len()), septets);
        }
    }

    #[test]
    fn last_septet_alone_in_an_octet_is_kept() {
        let septets = vec![0x41; 25];
        let packed = pack(&septets, 0);
        assert_eq!(packed.len(), 22);
        assert_eq!(unpack(&packed, 0, 25), septets);
    }

    #[test]
    fn unpack_stops_when_bytes_run_out() {
        assert_eq!(unpack(&[0xFF], 0, 5).len(), 1);
    }

    #[test]
    fn escape_to_unknown_code_falls_back_to_the_base_character() {
        assert_eq!(decode_unpacked(&[0x1B, 0x41]), "A");
        assert_eq!(decode_unpacked(&[0x1B, 0x1B]), " ");
        assert_eq!(decode_unpacked(&[0x41, 0x1B]), "A");
    }

    #[test]
    fn escape_character_itself_is_not_encodable() {
        assert!(encode_unpacked("\u{1b}").is_err());
    }

    #[test]
    fn turkish_tables_carry_turkish_letters() {
        let t = Tables {
            locking: Some(NationalLanguage::Turkish),
            single: Some(NationalLanguage::Turkish),
        };
        let text = "Şişli'de ığdır Çç € İ";
        assert_eq!(t.decode(&t.encode(text).unwrap()), text);
        assert!(Tables::DEFAULT.encode("ş").is_err());
    }

    #[test]
    fn spanish_and_portuguese_single_shift_round_trip() {
        let es = Tables {
            locking: None,
            single: Some(NationalLanguage::Spanish),
        };
        assert_eq!(es.decode(&es.encode("canción á").unwrap()), "canción á");
        let pt = Tables {
            locking: Some(NationalLanguage::Portuguese),
            single: Some(NationalLanguage::Portuguese),
        };
        assert_eq!(
            pt.decode(&pt.encode("Não às ações ª º").unwrap()),
            "Não às ações ª º"
        );
    }

    #[test]
    fn every_base_table_entry_decodes_back_to_itself() {
        for lang in [
            None,
            Some(NationalLanguage::Turkish),
            Some(NationalLanguage::Portuguese),
        ] {
            let t = Tables {
                locking: lang,
                single: lang,
            };
            for code in 0..128u8 {
                if code == ESCAPE {
                    continue;
                }
                let text = t.decode(&[code]);
                assert_eq!(t.encode(&text).unwrap(), vec![code], "{lang:?} {code:#04X}");
            }
        }
    }
}
