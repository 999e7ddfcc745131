//! Byte-level digester tests: every real-modem habit, each fed whole, byte by byte, split at every position
//! and in random chunks (all must give the same items).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod support;

use smsgate_at::{CmeError, CmsError, FinalResult};
use support::*;

#[test]
fn ok_with_echo_on_yields_echo_then_final() {
    let items = digest_every_way(&cmd("AT", &[]), b"AT\r\r\nOK\r\n");
    assert_eq!(items, vec![echo("AT"), ok()]);
}

#[test]
fn answer_with_echo_off_yields_info_then_final() {
    let items = digest_every_way(&cmd("AT+CSQ", &["+CSQ"]), b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    assert_eq!(items, vec![info("+CSQ: 20,99"), ok()]);
}

#[test]
fn doubled_echo_is_recognised_both_times() {
    let items = digest_every_way(
        &cmd("AT+CSQ", &["+CSQ"]),
        b"AT+CSQ\r\nAT+CSQ\r\n+CME ERROR: 515\r\n",
    );
    assert_eq!(
        items,
        vec![
            echo("AT+CSQ"),
            echo("AT+CSQ"),
            Item::Final(FinalResult::Cme(CmeError::PleaseWait))
        ]
    );
}

#[test]
fn doubled_echo_with_cr_only_and_answer_repeated_is_kept() {
    let bytes = b"AT+CPMS=\"ME\"\rAT+CPMS=\"ME\"\r\r\n+CPMS: 0,100,0,100\r\n+CPMS: 0,100,0,100\r\n\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CPMS=\"ME\"", &["+CPMS"]), bytes);
    assert_eq!(
        items,
        vec![
            echo("AT+CPMS=\"ME\""),
            echo("AT+CPMS=\"ME\""),
            info("+CPMS: 0,100,0,100"),
            info("+CPMS: 0,100,0,100"),
            ok()
        ]
    );
}

#[test]
fn lf_only_line_endings_work() {
    let items = digest_every_way(
        &cmd("AT+CREG?", &["+CREG"]),
        b"AT+CREG?\n+CREG: 2,1,4CA,81DE445\nOK\n",
    );
    assert_eq!(
        items,
        vec![echo("AT+CREG?"), info("+CREG: 2,1,4CA,81DE445"), ok()]
    );
}

#[test]
fn cr_only_line_endings_work() {
    let items = digest_every_way(&cmd("AT+CGMR", &[]), b"AT+CGMR\r11.608.12.02.21\rOK\r");
    assert_eq!(items, vec![echo("AT+CGMR"), info("11.608.12.02.21"), ok()]);
}

#[test]
fn garbage_after_at_is_taken_as_echo_and_the_answer_survives() {
    let items = digest_every_way(&cmd("AT", &[]), b"AT\xFF\xE5\r\n\r\nOK\r\n");
    assert_eq!(items, vec![echo("AT\u{FF}\u{E5}"), ok()]);
}

#[test]
fn noise_before_the_echo_does_not_hide_it() {
    let items = digest_every_way(&cmd("ATE0", &[]), b"\xFF\xFEATE0\r\r\nOK\r\n");
    assert_eq!(items, vec![echo("\u{FF}\u{FE}ATE0"), ok()]);
}

#[test]
fn nul_bytes_are_ignored_everywhere() {
    let items = digest_every_way(
        &cmd("AT+CSQ", &["+CSQ"]),
        b"\0\0\r\n+CS\0Q: 5,99\r\n\0OK\0\r\n",
    );
    assert_eq!(items, vec![info("+CSQ: 5,99"), ok()]);
}

#[test]
fn a_line_without_printable_ascii_is_garbage() {
    let items = digest_every_way(&cmd("AT", &[]), b"\xFF\xE5\x80\r\nOK\r\n");
    assert_eq!(items, vec![Item::Garbage(vec![0xFF, 0xE5, 0x80]), ok()]);
}

#[test]
fn urc_before_the_echo_goes_to_the_urc_channel() {
    let bytes =
        b"+CMTI: \"SM\",1\r\nAT+CPMS=\"SM\",\"SM\"\r\r\n+CPMS: 1,20,1,20,1,20\r\n\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CPMS=\"SM\",\"SM\"", &["+CPMS"]), bytes);
    assert_eq!(
        items,
        vec![
            urc("+CMTI: \"SM\",1"),
            echo("AT+CPMS=\"SM\",\"SM\""),
            info("+CPMS: 1,20,1,20,1,20"),
            ok()
        ]
    );
}

#[test]
fn urc_followed_by_echo_without_blank_line_is_split_correctly() {
    let bytes = b"^NWTIME: 18/03/09,12:36:21+4,00\r\nAT+CPMS?\r\r\n+CPMS: \"SM\",0,20\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CPMS?", &["+CPMS"]), bytes);
    assert_eq!(
        items,
        vec![
            urc("^NWTIME: 18/03/09,12:36:21+4,00"),
            echo("AT+CPMS?"),
            info("+CPMS: \"SM\",0,20"),
            ok()
        ]
    );
}

#[test]
fn urc_between_echo_and_prompt_goes_to_the_urc_channel() {
    let bytes = b"AT+CMGS=23\r\r\n+ZDONR: \"METEOR\",272,3,\"CS_ONLY\",\"ROAM_OFF\"\r\n+ZPASR: \"UMTS\"\r\n> ";
    let items = digest_every_way(&prompt_cmd("AT+CMGS=23", &["+CMGS"]), bytes);
    assert_eq!(
        items,
        vec![
            echo("AT+CMGS=23"),
            urc("+ZDONR: \"METEOR\",272,3,\"CS_ONLY\",\"ROAM_OFF\""),
            urc("+ZPASR: \"UMTS\""),
            Item::Prompt
        ]
    );
}

#[test]
fn urc_between_answer_and_final_result_goes_to_the_urc_channel() {
    let bytes = b"\r\n+CMGS: 12\r\n+CMTI: \"SM\",3\r\n^RSSI: 17\r\n\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CMGS=23", &["+CMGS"]), bytes);
    assert_eq!(
        items,
        vec![
            info("+CMGS: 12"),
            urc("+CMTI: \"SM\",3"),
            urc("^RSSI: 17"),
            ok()
        ]
    );
}

#[test]
fn prompt_with_a_space_and_no_newline_is_recognised_at_once() {
    let items = digest_every_way(&prompt_cmd("AT+CMGS=18", &["+CMGS"]), b"AT+CMGS=18\r\r\n> ");
    assert_eq!(items, vec![echo("AT+CMGS=18"), Item::Prompt]);
}

#[test]
fn bare_simcom_prompt_is_recognised() {
    let items = digest_every_way(&prompt_cmd("AT+CMGS=18", &["+CMGS"]), b"\r\n>\r\n");
    assert_eq!(items, vec![Item::Prompt]);
}

#[test]
fn full_send_with_the_pdu_echoed_on_the_prompt_line() {
    let bytes = b"AT+CMGS=24\r\r\n> 0001000B917228001011F100000CC8329BFD065DDF72363904\x1a\r\n+CMGS: 7\r\n\r\nOK\r\n";
    let items = digest_every_way(&prompt_cmd("AT+CMGS=24", &["+CMGS"]), bytes);
    assert_eq!(
        items,
        vec![
            echo("AT+CMGS=24"),
            Item::Prompt,
            echo("0001000B917228001011F100000CC8329BFD065DDF72363904"),
            info("+CMGS: 7"),
            ok()
        ]
    );
}

#[test]
fn pdu_echo_then_cms_error_500_is_a_cms_error() {
    let bytes =
        b"> 07913396050096F511000B913306123456F70000FF05C8329BFD06\x1a\r\n+CMS ERROR: 500\r\n";
    let items = digest_every_way(&prompt_cmd("AT+CMGS=19", &["+CMGS"]), bytes);
    assert_eq!(
        items,
        vec![
            Item::Prompt,
            echo("07913396050096F511000B913306123456F70000FF05C8329BFD06"),
            Item::Final(FinalResult::Cms(CmsError::UnknownError))
        ]
    );
}

#[test]
fn a_greater_than_line_is_plain_text_when_no_prompt_is_expected() {
    let items = digest_every_way(&cmd("AT+CGMI", &[]), b"> quoted\r\nOK\r\n");
    assert_eq!(items, vec![info("> quoted"), ok()]);
}

#[test]
fn expected_prefix_makes_a_urc_looking_line_the_answer() {
    let items = digest_every_way(
        &cmd("AT+CREG?", &["+CREG"]),
        b"AT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n",
    );
    assert_eq!(items, vec![echo("AT+CREG?"), info("+CREG: 0,1"), ok()]);
}

#[test]
fn the_same_line_without_a_command_in_flight_is_a_urc() {
    let items = digest_every_way(
        &idle(),
        b"\r\n+CREG: 1\r\n\r\n+CGREG: 5,\"2AF5\",\"0B88E350\",2\r\n",
    );
    assert_eq!(
        items,
        vec![urc("+CREG: 1"), urc("+CGREG: 5,\"2AF5\",\"0B88E350\",2")]
    );
}

#[test]
fn a_urc_looking_line_not_expected_by_the_command_stays_a_urc() {
    let items = digest_every_way(
        &cmd("AT+CSQ", &["+CSQ"]),
        b"\r\n+CREG: 1\r\n+CSQ: 9,99\r\nOK\r\n",
    );
    assert_eq!(items, vec![urc("+CREG: 1"), info("+CSQ: 9,99"), ok()]);
}

#[test]
fn cmt_urc_takes_its_pdu_line_as_one_urc() {
    let bytes = b"\r\n+CMT: ,23\r\n0791447758100650040C914497716247010000909010711423400A2050EC468B81C4733A\r\n";
    let items = digest_every_way(&idle(), bytes);
    assert_eq!(
        items,
        vec![urc2(
            "+CMT: ,23",
            "0791447758100650040C914497716247010000909010711423400A2050EC468B81C4733A"
        )]
    );
}

#[test]
fn cmt_urc_arriving_inside_a_command_keeps_its_pdu_out_of_the_answer() {
    let bytes = b"\r\n+CSQ: 9,99\r\n+CMT: \"\",25\r\n0791AA\r\n\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CSQ", &["+CSQ"]), bytes);
    assert_eq!(
        items,
        vec![info("+CSQ: 9,99"), urc2("+CMT: \"\",25", "0791AA"), ok()]
    );
}

#[test]
fn text_mode_cmt_takes_its_body_even_when_it_reads_ok() {
    let items = digest_every_way(
        &idle(),
        b"+CMT: \"+41761234567\",,\"24/01/02,10:00:00+04\"\r\nOK\r\n",
    );
    assert_eq!(
        items,
        vec![urc2(
            "+CMT: \"+41761234567\",,\"24/01/02,10:00:00+04\"",
            "OK"
        )]
    );
}

#[test]
fn cds_in_pdu_mode_takes_its_pdu_even_with_cr_only_and_no_space() {
    let items = digest_every_way(
        &idle(),
        b"+CDS:25\r07914306073011F006270B913426565711F7012081111345400120811113454000\r",
    );
    assert_eq!(
        items,
        vec![urc2(
            "+CDS:25",
            "07914306073011F006270B913426565711F7012081111345400120811113454000"
        )]
    );
}

#[test]
fn cds_in_text_mode_is_a_single_line() {
    let bytes = b"+CDS: 6,20,\"0870000000\",129,\"13/04/29,19:58:00+04\",\"13/04/29,19:59:00+04\",0\r\n+CDSI: \"SR\",1\r\n";
    let items = digest_every_way(&idle(), bytes);
    assert_eq!(
        items,
        vec![
            urc(
                "+CDS: 6,20,\"0870000000\",129,\"13/04/29,19:58:00+04\",\"13/04/29,19:59:00+04\",0"
            ),
            urc("+CDSI: \"SR\",1")
        ]
    );
}

#[test]
fn cbm_takes_its_data_line() {
    let items = digest_every_way(
        &idle(),
        b"+CBM: 88\r\n001000DD001133DAED46ABD56AB5186CD668341A8D46A3D168341A8D46A3D100\r\n",
    );
    assert_eq!(
        items,
        vec![urc2(
            "+CBM: 88",
            "001000DD001133DAED46ABD56AB5186CD668341A8D46A3D168341A8D46A3D100"
        )]
    );
}

#[test]
fn text_mode_cmgl_body_reading_ok_is_body_and_the_real_ok_ends_the_listing() {
    let bytes = b"AT+CMGL=\"ALL\"\r\r\n+CMGL: 1,\"REC READ\",\"+31625044454\",,\"07/07/05,09:56:03+08\"\r\nOK\r\n+CMGL: 2,\"REC READ\",\"+31625044454\",,\"07/07/05,09:57:03+08\"\r\nSecond\r\n\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CMGL=\"ALL\"", &["+CMGL"]), bytes);
    assert_eq!(
        items,
        vec![
            echo("AT+CMGL=\"ALL\""),
            info("+CMGL: 1,\"REC READ\",\"+31625044454\",,\"07/07/05,09:56:03+08\""),
            info("OK"),
            info("+CMGL: 2,\"REC READ\",\"+31625044454\",,\"07/07/05,09:57:03+08\""),
            info("Second"),
            ok()
        ]
    );
}

#[test]
fn a_body_that_looks_like_a_urc_is_still_the_body() {
    let bytes =
        b"+CMGR: \"REC READ\",\"+4179\",,\"24/01/02,10:00:00+04\"\r\n+CMTI: \"SM\",9\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CMGR=1", &["+CMGR"]), bytes);
    assert_eq!(
        items,
        vec![
            info("+CMGR: \"REC READ\",\"+4179\",,\"24/01/02,10:00:00+04\""),
            info("+CMTI: \"SM\",9"),
            ok()
        ]
    );
}

#[test]
fn text_mode_status_report_in_cmgr_has_no_body_line() {
    let bytes = b"+CMGR: \"REC UNREAD\",6,21,\"123456789\",129,\"22/12/01,07:33:58+04\",\"22/12/01,07:33:59+04\",0\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CMGR=0", &["+CMGR"]), bytes);
    assert_eq!(
        items,
        vec![
            info(
                "+CMGR: \"REC UNREAD\",6,21,\"123456789\",129,\"22/12/01,07:33:58+04\",\"22/12/01,07:33:59+04\",0"
            ),
            ok()
        ]
    );
    let bytes = b"+CMGR: ,6,20,\"0870000000\",129,\"13/04/29,19:58:00+04\",\"13/04/29,19:59:00+04\",0\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CMGR=1", &["+CMGR"]), bytes);
    assert_eq!(items.len(), 2);
    assert_eq!(items[1], ok());
}

#[test]
fn pdu_listing_with_wrong_declared_lengths_is_returned_verbatim() {
    let bytes = b"+CMGL: 0,1,,99\r\n0791534850020200040C9153486507895500006090608164138004D4F29C0E\r\n+CMGL: 3,1,,5\r\n07914487200030230406D04F590400006011918062430\"\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CMGL=4", &["+CMGL"]), bytes);
    assert_eq!(
        items,
        vec![
            info("+CMGL: 0,1,,99"),
            info("0791534850020200040C9153486507895500006090608164138004D4F29C0E"),
            info("+CMGL: 3,1,,5"),
            info("07914487200030230406D04F590400006011918062430\""),
            ok()
        ]
    );
}

#[test]
fn cms_and_cme_errors_parse_numeric_and_verbose_forms() {
    let cases: &[(&[u8], FinalResult)] = &[
        (
            b"+CMS ERROR: 330\r\n",
            FinalResult::Cms(CmsError::SmscAddressUnknown),
        ),
        (
            b"+CMS ERROR: 38\r\n",
            FinalResult::Cms(CmsError::NetworkOutOfOrder),
        ),
        (
            b"+CMS ERROR: SIM busy\r\n",
            FinalResult::Cms(CmsError::SimBusy),
        ),
        (
            b"+CME ERROR: SIM busy\r\n",
            FinalResult::Cme(CmeError::SimBusy),
        ),
        (
            b"+CME ERROR: 11\r\n",
            FinalResult::Cme(CmeError::SimPinRequired),
        ),
        (b"+CME ERROR:\r\n", FinalResult::Cme(CmeError::Unspecified)),
        (
            b"+CMS ERROR: 535\r\n",
            FinalResult::Cms(CmsError::Other(535)),
        ),
        (b"ERROR\r\n", FinalResult::Error),
        (b"MODEM ERROR: 3\r\n", FinalResult::Error),
        (b"COMMAND NOT SUPPORT\r\n", FinalResult::NotSupported),
        (b"NOT READY\r\n", FinalResult::NotReady),
        (b"NO CARRIER\r\n", FinalResult::NoCarrier),
        (b"BUSY\r\n", FinalResult::Busy),
        (b"NO ANSWER\r\n", FinalResult::NoAnswer),
        (b"NO DIALTONE\r\n", FinalResult::NoDialtone),
    ];
    for (bytes, expected) in cases {
        let items = digest_every_way(&cmd("AT+X", &[]), bytes);
        assert_eq!(
            items,
            vec![Item::Final(expected.clone())],
            "{}",
            text(bytes)
        );
    }
}

#[test]
fn call_progress_words_are_urcs_when_nothing_is_in_flight() {
    let items = digest_every_way(&idle(), b"\r\nRING\r\n\r\nNO CARRIER\r\n");
    assert_eq!(items, vec![urc("RING"), urc("NO CARRIER")]);
}

#[test]
fn every_listed_vendor_urc_is_routed_as_a_urc() {
    let lines = [
        "+CMTI: \"ME\",2",
        "+CDSI: \"SR\",0",
        "+CREG: 1,\"5E25\",\"605F\"",
        "+CGREG: 1",
        "+CEREG: 5",
        "+CUSD: 0,\"Balance 1.00\",15",
        "RING",
        "^RSSI: 17",
        "^MODE: 5,4",
        "^BOOT: 20952941,0,0,0,72",
        "^SRVST: 2",
        "^SIMST: 1",
        "^HCSQ: \"LTE\",45,33,120,17",
        "+ZDONR: \"METEOR\",272,3,\"CS_ONLY\",\"ROAM_OFF\"",
        "+ZPASR: \"UMTS\"",
        "+CIEV: 2,3",
        "SMS DONE",
        "PB DONE",
        "+CPIN: READY",
    ];
    for line in lines {
        let bytes = format!("\r\n{line}\r\n");
        assert_eq!(
            digest_every_way(&idle(), bytes.as_bytes()),
            vec![urc(line)],
            "{line}"
        );
        let bytes = format!("\r\n{line}\r\nOK\r\n");
        assert_eq!(
            digest_every_way(&cmd("AT", &[]), bytes.as_bytes()),
            vec![urc(line), ok()],
            "{line}"
        );
    }
}

#[test]
fn huawei_mode_with_double_cr_is_one_urc() {
    assert_eq!(
        digest_every_way(&idle(), b"\r\n^MODE: 2\r\r\n"),
        vec![urc("^MODE: 2")]
    );
}

#[test]
fn ok_then_urcs_in_the_same_read_are_split() {
    let items = digest_every_way(
        &cmd("AT+CNMI=2,1", &[]),
        b"\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n\r\n+CIEV: 7,1\r\n",
    );
    assert_eq!(items, vec![ok(), urc("+CMTI: \"SM\",1"), urc("+CIEV: 7,1")]);
}

#[test]
fn wavecom_cpin_without_ok_is_an_information_line() {
    let items = digest_every_way(
        &cmd("AT+CPIN?", &["+CPIN"]),
        b"AT+CPIN?\r\r\n+CPIN: READY\r\n",
    );
    assert_eq!(items, vec![echo("AT+CPIN?"), info("+CPIN: READY")]);
}

#[test]
fn ucs2_hex_answers_are_returned_raw() {
    let bytes = b"\r\n+CSCA: \"002B00390037003200350034003100320030003000330032\",145\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CSCA?", &["+CSCA"]), bytes);
    assert_eq!(
        items,
        vec![
            info("+CSCA: \"002B00390037003200350034003100320030003000330032\",145"),
            ok()
        ]
    );
}

#[test]
fn unknown_lines_without_a_command_are_stray() {
    assert_eq!(
        digest_every_way(&idle(), b"\r\nhello there\r\nOK\r\n"),
        vec![Item::Stray("hello there".into()), ok()]
    );
}

#[test]
fn an_overlong_line_is_garbage_and_the_next_line_is_fine() {
    let mut bytes = vec![b'7'; smsgate_at::MAX_LINE + 10];
    bytes.extend_from_slice(b"\r\nOK\r\n");
    let items = support::run_chunks(&cmd("AT", &[]), &[&bytes]);
    assert_eq!(items.len(), 2);
    assert!(matches!(&items[0], Item::Garbage(g) if g.len() == smsgate_at::MAX_LINE));
    assert_eq!(items[1], ok());
}

#[test]
fn extra_urc_names_from_a_profile_are_urcs() {
    let mut d = smsgate_at::Digester::with_extra_urcs(vec!["+QIND2".into(), "READY".into()]);
    let mut input: &[u8] = b"+QIND2: \"csq\",20\r\nREADY\r\n";
    let mut out = Vec::new();
    loop {
        let (item, used) = d.feed(input);
        input = &input[used..];
        let Some(item) = item else { break };
        out.push(Item::from(item));
    }
    assert_eq!(out, vec![urc("+QIND2: \"csq\",20"), urc("READY")]);
}

#[test]
fn a_later_at_line_that_is_not_our_echo_is_information() {
    // ZTE-style +CLAC lists command names without a prefix.
    let items = digest_every_way(
        &cmd("AT+CLAC", &[]),
        b"AT+CLAC\r\r\nAT+CGMI\r\nAT+CSQ\r\nOK\r\n",
    );
    assert_eq!(
        items,
        vec![echo("AT+CLAC"), info("AT+CGMI"), info("AT+CSQ"), ok()]
    );
}

#[test]
fn clac_lines_ending_in_double_cr_are_plain_lines() {
    let items = digest_every_way(&cmd("AT+CLAC", &[]), b"\r\n+CGMI\r\r\n+CSQ\r\r\n\r\nOK\r\n");
    assert_eq!(items, vec![info("+CGMI"), info("+CSQ"), ok()]);
}

#[test]
fn a_body_owed_by_an_abandoned_listing_is_forgotten_when_the_next_command_starts() {
    let mut d = smsgate_at::Digester::new();
    d.begin(b"AT+CMGL=4", &["+CMGL"], false);
    let mut items = Vec::new();
    let feed = |d: &mut smsgate_at::Digester, mut input: &[u8], items: &mut Vec<Item>| {
        loop {
            let (item, used) = d.feed(input);
            input = &input[used..];
            let Some(item) = item else { break };
            items.push(Item::from(item));
        }
    };
    feed(&mut d, b"+CMGL: 1,0,,23\r\n", &mut items);
    d.end(); // timed out before the PDU line came
    d.begin(b"AT", &[], false);
    feed(&mut d, b"OK\r\n", &mut items);
    assert_eq!(items, vec![info("+CMGL: 1,0,,23"), ok()]);
}

#[test]
fn a_pending_two_line_urc_keeps_its_data_line_across_commands() {
    let mut d = smsgate_at::Digester::new();
    let mut items = Vec::new();
    let feed = |d: &mut smsgate_at::Digester, mut input: &[u8], items: &mut Vec<Item>| {
        loop {
            let (item, used) = d.feed(input);
            input = &input[used..];
            let Some(item) = item else { break };
            items.push(Item::from(item));
        }
    };
    feed(&mut d, b"+CMT: ,5\r\n", &mut items);
    d.begin(b"AT", &[], false);
    feed(&mut d, b"0011AA\r\nOK\r\n", &mut items);
    assert_eq!(items, vec![urc2("+CMT: ,5", "0011AA"), ok()]);
}

#[test]
fn a_ussd_menu_spanning_lines_is_one_urc() {
    let bytes = b"\r\n+CUSD: 1,\"Menu\r\n1. Balance\r\n2. Data bundles\",15\r\n";
    assert_eq!(
        digest_every_way(&idle(), bytes),
        vec![urc("+CUSD: 1,\"Menu\n1. Balance\n2. Data bundles\",15")]
    );
}

#[test]
fn a_ussd_menu_answer_spanning_lines_is_one_information_line_before_ok() {
    let bytes = b"\r\n+CUSD: 1,\"Menu\r\n1. Balance\",15\r\n\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CUSD=1,\"*100#\",15", &["+CUSD"]), bytes);
    assert_eq!(items, vec![info("+CUSD: 1,\"Menu\n1. Balance\",15"), ok()]);
}

#[test]
fn a_ussd_text_whose_quote_never_closes_ends_at_the_final_result() {
    let bytes = b"\r\n+CUSD: 1,\"Broken\r\nstill text\r\nOK\r\n";
    let items = digest_every_way(&cmd("AT+CUSD=1,\"*100#\",15", &["+CUSD"]), bytes);
    assert_eq!(items, vec![info("+CUSD: 1,\"Broken\nstill text"), ok()]);
}

#[test]
fn a_single_line_ussd_with_balanced_quotes_is_not_joined() {
    let items = digest_every_way(
        &idle(),
        b"+CUSD: 0,\"Balance: 3.00\",15\r\n+CMTI: \"SM\",2\r\n",
    );
    assert_eq!(
        items,
        vec![urc("+CUSD: 0,\"Balance: 3.00\",15"), urc("+CMTI: \"SM\",2")]
    );
}
