//! Fuzz the PDU decoder: any bytes must give `Ok` or a clean `PduError`, never a panic, with and
//! without the SMSC prefix, and through the hex front door.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = smsgate_pdu::decode(data);
    let _ = smsgate_pdu::decode_tpdu(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = smsgate_pdu::decode_hex(text);
    }
});
