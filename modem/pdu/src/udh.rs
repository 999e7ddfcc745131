//! User data header (TS 23.040 §9.2.3.24): information elements, concatenation (IE 0x00 with an
//! 8-bit reference, IE 0x08 with a 16-bit reference), application ports (0x04 / 0x05) and the
//! national language shift IEs (0x24 single, 0x25 locking).

use serde::{Deserialize, Serialize};

use crate::PduError;

/// IE 0x00: concatenated short message, 8-bit reference.
pub const IEI_CONCAT_8: u8 = 0x00;
/// IE 0x04: application port addressing, 8-bit ports.
pub const IEI_PORTS_8: u8 = 0x04;
/// IE 0x05: application port addressing, 16-bit ports.
pub const IEI_PORTS_16: u8 = 0x05;
/// IE 0x08: concatenated short message, 16-bit reference.
pub const IEI_CONCAT_16: u8 = 0x08;
/// IE 0x24: national language single shift.
pub const IEI_SINGLE_SHIFT: u8 = 0x24;
/// IE 0x25: national language locking shift.
pub const IEI_LOCKING_SHIFT: u8 = 0x25;

/// One information element: identifier and data, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InformationElement {
    pub iei: u8,
    pub data: Vec<u8>,
}

/// Concatenation info: all parts of one message share `reference` and `total`; `seq` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Concat {
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
}

impl InformationElement {
    /// IE 0x00 (8-bit reference).
    pub fn concat_8bit(reference: u8, total: u8, seq: u8) -> Self {
        InformationElement {
            iei: IEI_CONCAT_8,
            data: vec![reference, total, seq],
        }
    }

    /// IE 0x08 (16-bit reference).
    pub fn concat_16bit(reference: u16, total: u8, seq: u8) -> Self {
        let [hi, lo] = reference.to_be_bytes();
        InformationElement {
            iei: IEI_CONCAT_16,
            data: vec![hi, lo, total, seq],
        }
    }

    /// The concatenation info if this is a well-formed IE 0x00 or 0x08.
    pub fn concat(&self) -> Option<Concat> {
        match (self.iei, self.data.as_slice()) {
            (IEI_CONCAT_8, &[reference, total, seq]) => Some(Concat {
                reference: u16::from(reference),
                total,
                seq,
            }),
            (IEI_CONCAT_16, &[hi, lo, total, seq]) => Some(Concat {
                reference: u16::from_be_bytes([hi, lo]),
                total,
                seq,
            }),
            _ => None,
        }
    }

    /// (destination, source) ports if this is a well-formed IE 0x04 or 0x05.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match (self.iei, self.data.as_slice()) {
            (IEI_PORTS_8, &[dst, src]) => Some((u16::from(dst), u16::from(src))),
            (IEI_PORTS_16, &[d1, d2, s1, s2]) => {
                Some((u16::from_be_bytes([d1, d2]), u16::from_be_bytes([s1, s2])))
            }
            _ => None,
        }
    }

    /// The table id of a well-formed IE 0x24 / 0x25 with the given identifier.
    pub(crate) fn shift_id(&self, iei: u8) -> Option<u8> {
        match (self.iei == iei, self.data.as_slice()) {
            (true, &[id]) => Some(id),
            _ => None,
        }
    }
}

/// Parse the information elements of a header (the octets after UDHL). An element that runs past
/// the end is an error.
pub fn parse(header: &[u8]) -> Result<Vec<InformationElement>, PduError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < header.len() {
        let iei = header[i];
        let Some(&len) = header.get(i + 1) else {
            return Err(PduError::IeOverrun {
                iei,
                offset: i,
                length: 1,
                available: 0,
            });
        };
        let len = usize::from(len);
        let start = i + 2;
        let Some(data) = header.get(start..start + len) else {
            return Err(PduError::IeOverrun {
                iei,
                offset: i,
                length: len,
                available: header.len() - start,
            });
        };
        out.push(InformationElement {
            iei,
            data: data.to_vec(),
        });
        i = start + len;
    }
    Ok(out)
}

/// UDHL + elements, as on the wire. An element longer than 255 octets cannot be written; the
/// encoder only builds short ones.
pub fn encode(elements: &[InformationElement]) -> Vec<u8> {
    let body: Vec<u8> = elements
        .iter()
        .flat_map(|ie| {
            let mut v = Vec::with_capacity(ie.data.len() + 2);
            v.push(ie.iei);
            v.push(u8::try_from(ie.data.len()).unwrap_or(u8::MAX));
            v.extend_from_slice(&ie.data[..ie.data.len().min(255)]);
            v
        })
        .collect();
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(u8::try_from(body.len()).unwrap_or(u8::MAX));
    out.extend(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_elements_match_the_python_gsmmodem_vectors() {
        let ies = parse(&hex::decode("0003170301").unwrap()).unwrap();
        assert_eq!(
            ies[0].concat(),
            Some(Concat {
                reference: 23,
                total: 3,
                seq: 1
            })
        );
        let ies = parse(&hex::decode("080401800402").unwrap()).unwrap();
        assert_eq!(
            ies[0].concat(),
            Some(Concat {
                reference: 384,
                total: 4,
                seq: 2
            })
        );
    }

    #[test]
    fn encode_writes_the_header_length_first() {
        let h = encode(&[InformationElement::concat_16bit(384, 4, 2)]);
        assert_eq!(hex::encode_upper(h), "06080401800402");
    }

    #[test]
    fn element_running_past_the_header_is_an_error() {
        assert!(parse(&[0x00, 0x03, 0x01]).is_err());
        assert!(parse(&[0x00]).is_err());
    }

    #[test]
    fn port_addressing_reads_both_sizes() {
        let ies = parse(&hex::decode("05040B8423F0").unwrap()).unwrap();
        assert_eq!(ies[0].ports(), Some((2948, 9200)));
    }
}
