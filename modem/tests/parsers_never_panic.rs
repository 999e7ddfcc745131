//! Every command parser is total: arbitrary modem lines (random text after each real prefix,
//! random line counts) give a value or a `ParseError`, never a panic.

use proptest::prelude::*;
use smsgate_modem::commands::info::{
    parse_cnum, parse_cpin, parse_csca, parse_cscs, parse_identity,
};
use smsgate_modem::commands::network::{
    RegDomain, parse_cops, parse_csq, parse_registration, parse_registration_reply,
};
use smsgate_modem::commands::sms::{
    parse_cmgl_pdu, parse_cmgl_text, parse_cmgr_pdu, parse_cmgr_text, parse_cmgs,
    parse_stored_indication, parse_text_timestamp,
};
use smsgate_modem::commands::storage::{
    CnmiSetting, parse_cnmi_support, parse_cpms_support, parse_cpms_usage,
};
use smsgate_modem::commands::ussd::{UssdEncoding, parse_cusd, unpack_gsm7_hex};

const PREFIXES: &[&str] = &[
    "+CREG: ", "+CGREG:", "+CEREG: ", "+CSQ: ", "+COPS: ", "+CPIN: ", "+CNUM: ", "+CSCA: ",
    "+CSCS: ", "+CPMS: ", "+CNMI: ", "+CMGS: ", "+CMGR: ", "+CMGL: ", "+CMTI: ", "+CDSI: ",
    "+CUSD: ", "",
];

fn line() -> impl Strategy<Value = String> {
    (
        prop::sample::select(PREFIXES),
        "[ -~\u{80}-\u{10ffff}]{0,60}",
        "[0-9A-F,\"() -]{0,40}",
    )
        .prop_map(|(p, a, b)| format!("{p}{b}{a}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_parser_panics_on_arbitrary_lines(lines in prop::collection::vec(line(), 0..6)) {
        let l: Vec<&str> = lines.iter().map(String::as_str).collect();
        for one in &l {
            let _ = parse_registration(one, true);
            let _ = parse_registration(one, false);
            let _ = parse_stored_indication(one, "+CMTI");
            let _ = parse_cusd(one, UssdEncoding::PackedGsm7Hex, false);
            let _ = parse_cusd(one, UssdEncoding::Text, true);
            let _ = parse_text_timestamp(one);
            let _ = unpack_gsm7_hex(one);
        }
        let _ = parse_registration_reply(&l, RegDomain::Cs);
        let _ = parse_csq(&l);
        let _ = parse_cops(&l);
        let _ = parse_cpin(&l);
        let _ = parse_cnum(&l);
        let _ = parse_csca(&l);
        let _ = parse_cscs(&l);
        let _ = parse_identity(&l, "+CGMI");
        let _ = parse_cpms_support(&l);
        let _ = parse_cpms_usage(&l);
        if let Ok(s) = parse_cnmi_support(&l) {
            let _ = s.choose(CnmiSetting { mode: 2, mt: 1, bm: 0, ds: 2, bfr: 0 });
        }
        let _ = parse_cmgs(&l);
        let _ = parse_cmgr_pdu(&l);
        let _ = parse_cmgl_pdu(&l);
        let _ = parse_cmgr_text(&l);
        let _ = parse_cmgl_text(&l);
    }

    #[test]
    fn csq_dbm_is_in_range_for_every_rssi(rssi in 0u8..=255, ber in 0u8..=255) {
        let s = parse_csq(&[format!("+CSQ: {rssi},{ber}").as_str()]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match s.dbm() {
            Some(d) => prop_assert!((-113..=-51).contains(&d) && s.bars().is_some()),
            None => prop_assert!(rssi > 31 && s.bars().is_none()),
        }
    }
}
