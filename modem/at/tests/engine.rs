//! Engine tests over `tokio::io::duplex` with a scripted fake modem; time is paused, so timeouts are exact and
//! instant.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod support;

use std::time::Duration;

use smsgate_at::{
    AtCommand, AtError, CmeError, CmsError, Engine, EngineConfig, EngineHandle, ExitReason,
    FinalResult, Request, Response, UrcReceiver,
};
use support::fake_modem::*;
use tokio::io::DuplexStream;

fn engine(config: EngineConfig) -> (EngineHandle, UrcReceiver, DuplexStream) {
    let (ours, theirs) = tokio::io::duplex(4096);
    let (handle, urcs) = Engine::spawn(ours, config);
    (handle, urcs, theirs)
}

fn default_engine() -> (EngineHandle, UrcReceiver, DuplexStream) {
    engine(EngineConfig {
        label: "test".into(),
        ..Default::default()
    })
}

/// `AT+CSQ` → (rssi, ber), a typed command as the Modem API will write them.
struct Csq;
impl AtCommand for Csq {
    type Output = (u8, u8);
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CSQ");
    }
    fn expects(&self) -> &[&str] {
        &["+CSQ"]
    }
    fn parse(&self, r: &Response) -> Result<(u8, u8), AtError> {
        let v = r
            .value("+CSQ")
            .ok_or_else(|| AtError::parse("AT+CSQ", "", "no +CSQ line"))?;
        let f = smsgate_at::fields(v);
        let num = |i: usize| {
            f.get(i)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| AtError::parse("AT+CSQ", v, "expected <rssi>,<ber>"))
        };
        Ok((num(0)?, num(1)?))
    }
}

/// `AT+CPIN?` with the Wavecom "final on info line" rule.
struct CpinQuery;
impl AtCommand for CpinQuery {
    type Output = String;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CPIN?");
    }
    fn expects(&self) -> &[&str] {
        &["+CPIN"]
    }
    fn final_on_info(&self) -> bool {
        true
    }
    fn parse(&self, r: &Response) -> Result<String, AtError> {
        r.value("+CPIN")
            .map(str::to_string)
            .ok_or_else(|| AtError::parse("AT+CPIN?", "", "no +CPIN line"))
    }
}

#[tokio::test(start_paused = true)]
async fn a_typed_command_gets_its_parsed_answer_despite_echo_and_urcs() {
    let (modem, mut urcs, far) = default_engine();
    let script = spawn_script(
        far,
        vec![
            expect(b"AT+CSQ\r"),
            send(b"+CMTI: \"SM\",4\r\nAT+CSQ\r\r\n+CSQ: 21,99\r\n^RSSI: 21\r\n\r\nOK\r\n"),
        ],
    );
    assert_eq!(modem.run(&Csq).await.unwrap(), (21, 99));
    assert_eq!(urcs.recv().await.unwrap().line, "+CMTI: \"SM\",4");
    assert_eq!(urcs.recv().await.unwrap().line, "^RSSI: 21");
    drop(modem);
    assert_eq!(script.await.unwrap(), b"AT+CSQ\r");
}

#[tokio::test(start_paused = true)]
async fn error_finals_become_typed_errors_and_raw_keeps_them() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+CSQ\r"),
            send(b"\r\n+CME ERROR: 14\r\n"),
            expect(b"AT+CMGS=1\r"),
            send(b"\r\n+CMS ERROR: 304\r\n"),
            expect(b"AT^FOO\r"),
            send(b"\r\nCOMMAND NOT SUPPORT\r\n"),
        ],
    );
    let err = modem.run(&Csq).await.unwrap_err();
    assert!(matches!(err, AtError::Cme(CmeError::SimBusy)), "{err}");
    assert!(err.is_retryable());
    let r = modem
        .raw("AT+CMGS=1", Duration::from_secs(5), &["+CMGS"])
        .await
        .unwrap();
    assert_eq!(
        r.result,
        FinalResult::Cms(CmsError::InvalidPduModeParameter)
    );
    assert!(r.clone().into_result().unwrap_err().is_permanent());
    let err = modem
        .raw("AT^FOO", Duration::from_secs(5), &[])
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert!(matches!(err, AtError::NotSupported));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_command_leaves_the_engine_usable_and_its_late_answer_is_not_given_to_the_next()
{
    let (modem, _urcs, far) = default_engine();
    let script = spawn_script(
        far,
        vec![
            expect(b"AT+SLOW\r"),
            expect(b"ATS3?\r"),
            sleep_ms(3_000),
            send(b"\r\n+SLOW: 1\r\n\r\nOK\r\n"),
            send(b"ATS3?\r\r\n013\r\n\r\nOK\r\n"),
            expect(b"AT+NEXT\r"),
            send(b"\r\n+NEXT: 2\r\n\r\nOK\r\n"),
        ],
    );
    let started = tokio::time::Instant::now();
    let err = modem
        .raw("AT+SLOW", Duration::from_secs(2), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AtError::Timeout { command, payload_sent: false, .. } if command == "AT+SLOW"),
        "{err}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    let next = modem
        .raw("AT+NEXT", Duration::from_secs(2), &["+NEXT"])
        .await
        .unwrap();
    assert_eq!(next.lines, vec!["+NEXT: 2"]);
    assert_eq!(next.result, FinalResult::Ok);
    drop(modem);
    let received = script.await.unwrap();
    assert_eq!(received, b"AT+SLOW\rATS3?\rAT+NEXT\r");
}

#[tokio::test(start_paused = true)]
async fn a_late_error_of_a_timed_out_command_is_not_given_to_the_next_either() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+SLOW\r"),
            expect(b"ATS3?\r"),
            send(b"\r\n+CME ERROR: 30\r\n\r\n013\r\nOK\r\n"),
            expect(b"AT+NEXT\r"),
            send(b"\r\nOK\r\n"),
        ],
    );
    assert!(matches!(
        modem.raw("AT+SLOW", Duration::from_secs(2), &[]).await,
        Err(AtError::Timeout { .. })
    ));
    assert_eq!(
        modem
            .raw("AT+NEXT", Duration::from_secs(2), &[])
            .await
            .unwrap()
            .result,
        FinalResult::Ok
    );
}

#[tokio::test(start_paused = true)]
async fn a_modem_that_ignores_the_probe_delays_the_next_command_by_drain_max_only() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+DEAD\r"),
            expect(b"ATS3?\r"),
            expect(b"AT\r"),
            send(b"\r\nOK\r\n"),
        ],
    );
    assert!(matches!(
        modem.raw("AT+DEAD", Duration::from_secs(1), &[]).await,
        Err(AtError::Timeout { .. })
    ));
    let started = tokio::time::Instant::now();
    assert!(
        modem
            .raw("AT", Duration::from_secs(1), &[])
            .await
            .unwrap()
            .is_ok()
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn without_the_probe_a_silent_timeout_costs_only_the_quiet_period() {
    let (modem, _urcs, far) = engine(EngineConfig {
        resync_probe: false,
        ..Default::default()
    });
    let script = spawn_script(
        far,
        vec![expect(b"AT+DEAD\r"), expect(b"AT\r"), send(b"\r\nOK\r\n")],
    );
    assert!(matches!(
        modem.raw("AT+DEAD", Duration::from_secs(1), &[]).await,
        Err(AtError::Timeout { .. })
    ));
    let started = tokio::time::Instant::now();
    assert!(
        modem
            .raw("AT", Duration::from_secs(1), &[])
            .await
            .unwrap()
            .is_ok()
    );
    assert_eq!(started.elapsed(), Duration::from_millis(500));
    drop(modem);
    assert_eq!(script.await.unwrap(), b"AT+DEAD\rAT\r");
}

#[tokio::test(start_paused = true)]
async fn without_the_probe_a_late_final_ends_the_drain() {
    let (modem, _urcs, far) = engine(EngineConfig {
        resync_probe: false,
        ..Default::default()
    });
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+SLOW\r"),
            sleep_ms(1_200),
            send(b"\r\nOK\r\n"),
            expect(b"AT+NEXT\r"),
            send(b"\r\n+NEXT: 1\r\nOK\r\n"),
        ],
    );
    assert!(matches!(
        modem.raw("AT+SLOW", Duration::from_secs(1), &[]).await,
        Err(AtError::Timeout { .. })
    ));
    let next = modem
        .raw("AT+NEXT", Duration::from_secs(1), &["+NEXT"])
        .await
        .unwrap();
    assert_eq!(next.lines, vec!["+NEXT: 1"]);
}

#[tokio::test(start_paused = true)]
async fn a_send_writes_the_payload_and_ctrl_z_after_the_prompt() {
    let (modem, mut urcs, far) = default_engine();
    let pdu = b"0001000B917228001011F100000CC8329BFD065DDF72363904";
    let mut payload_then_z = pdu.to_vec();
    payload_then_z.push(0x1A);
    let script = spawn_script(
        far,
        vec![
            expect(b"AT+CMGS=24\r"),
            send(b"AT+CMGS=24\r\r\n+ZPASR: \"UMTS\"\r\n> "),
            expect(&payload_then_z),
            send(b"0001000B917228001011F100000CC8329BFD065DDF72363904\x1a\r\n+ZDONR: \"METEOR\"\r\n+CMGS: 7\r\n\r\nOK\r\n"),
        ],
    );
    let request = Request::new("AT+CMGS=24")
        .expect("+CMGS")
        .payload(pdu.to_vec())
        .timeout(Duration::from_secs(60));
    let r = modem.request(request).await.unwrap();
    assert_eq!(r.lines, vec!["+CMGS: 7"]);
    assert_eq!(r.value("+CMGS"), Some("7"));
    assert_eq!(urcs.recv().await.unwrap().line, "+ZPASR: \"UMTS\"");
    assert_eq!(urcs.recv().await.unwrap().line, "+ZDONR: \"METEOR\"");
    drop(modem);
    let mut wanted = b"AT+CMGS=24\r".to_vec();
    wanted.extend_from_slice(&payload_then_z);
    assert_eq!(script.await.unwrap(), wanted);
}

#[tokio::test(start_paused = true)]
async fn a_pdu_echoed_on_its_own_line_is_not_part_of_the_answer() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+CMGS=2\r"),
            send(b"\r\n>\r\n"),
            expect(b"0011\x1a"),
            send(b"0011\r\n+CMGS: 9\r\nOK\r\n"),
        ],
    );
    let r = modem
        .request(Request::new("AT+CMGS=2").expect("+CMGS").payload("0011"))
        .await
        .unwrap();
    assert_eq!(r.lines, vec!["+CMGS: 9"]);
}

#[tokio::test(start_paused = true)]
async fn a_missing_prompt_times_out_and_writes_esc() {
    let (modem, _urcs, far) = default_engine();
    let script = spawn_script(
        far,
        vec![
            expect(b"AT+CMGS=24\r"),
            expect(b"\x1bATS3?\r"),
            send(b"\r\nOK\r\n013\r\nOK\r\n"),
        ],
    );
    let started = tokio::time::Instant::now();
    let request = Request::new("AT+CMGS=24")
        .payload("00")
        .prompt_timeout(Duration::from_secs(10));
    let err = modem.request(request).await.unwrap_err();
    assert!(matches!(err, AtError::PromptTimeout { .. }), "{err}");
    assert!(!err.payload_may_have_been_sent());
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    drop(modem);
    assert_eq!(script.await.unwrap(), b"AT+CMGS=24\r\x1bATS3?\r");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_after_the_payload_says_the_message_may_have_gone_out() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![expect(b"AT+CMGS=1\r"), send(b"> "), expect(b"AA\x1a")],
    );
    let request = Request::new("AT+CMGS=1")
        .payload("AA")
        .timeout(Duration::from_secs(120));
    let started = tokio::time::Instant::now();
    let err = modem.request(request).await.unwrap_err();
    assert!(
        matches!(
            err,
            AtError::Timeout {
                payload_sent: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.payload_may_have_been_sent());
    assert_eq!(started.elapsed(), Duration::from_secs(120));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_send_before_the_prompt_writes_esc_and_the_next_command_runs() {
    let (modem, _urcs, far) = default_engine();
    let script = spawn_script(
        far,
        vec![
            expect(b"AT+CMGS=1\r"),
            expect(b"\x1bATS3?\r"),
            send(b"\r\nOK\r\n013\r\nOK\r\n"),
            expect(b"AT\r"),
            send(b"OK\r\n"),
        ],
    );
    let send = modem.request(Request::new("AT+CMGS=1").payload("AA"));
    assert!(
        tokio::time::timeout(Duration::from_secs(1), send)
            .await
            .is_err(),
        "caller gives up after 1 s"
    );
    assert!(
        modem
            .raw("AT", Duration::from_secs(5), &[])
            .await
            .unwrap()
            .is_ok()
    );
    drop(modem);
    assert_eq!(script.await.unwrap(), b"AT+CMGS=1\r\x1bATS3?\rAT\r");
}

#[tokio::test(start_paused = true)]
async fn wavecom_cpin_without_ok_completes_after_the_grace_period() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+CPIN?\r"),
            send(b"AT+CPIN?\r\r\n+CPIN: READY\r\n"),
        ],
    );
    let started = tokio::time::Instant::now();
    assert_eq!(modem.run(&CpinQuery).await.unwrap(), "READY");
    assert_eq!(started.elapsed(), Duration::from_millis(300));
}

#[tokio::test(start_paused = true)]
async fn cpin_with_ok_completes_at_once_and_its_ok_does_not_leak() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+CPIN?\r"),
            send(b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"),
            expect(b"AT+CSQ\r"),
            send(b"\r\n+CSQ: 3,4\r\nOK\r\n"),
        ],
    );
    let started = tokio::time::Instant::now();
    assert_eq!(modem.run(&CpinQuery).await.unwrap(), "SIM PIN");
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(modem.run(&Csq).await.unwrap(), (3, 4));
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_queue_and_each_gets_its_own_answer() {
    let (modem, _urcs, far) = default_engine();
    let responder = spawn_responder(far, |line| {
        let n = line.trim_start_matches("AT+Q");
        format!("{line}\r\r\n+Q: {n}\r\n\r\nOK\r\n").into_bytes()
    });
    let mut tasks = Vec::new();
    for i in 0..8 {
        let modem = modem.clone();
        tasks.push(tokio::spawn(async move {
            let r = modem
                .raw(&format!("AT+Q{i}"), Duration::from_secs(5), &["+Q"])
                .await
                .unwrap();
            assert_eq!(r.lines, vec![format!("+Q: {i}")]);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    drop(modem);
    assert_eq!(responder.await.unwrap().len(), 8);
}

#[tokio::test(start_paused = true)]
async fn a_full_urc_channel_drops_and_counts_without_jamming_commands() {
    let (modem, mut urcs, far) = engine(EngineConfig {
        urc_capacity: 2,
        ..Default::default()
    });
    let _script = spawn_script(
        far,
        vec![
            send(b"+CMTI: \"SM\",1\r\n+CMTI: \"SM\",2\r\n+CMTI: \"SM\",3\r\n+CMTI: \"SM\",4\r\n"),
            expect(b"AT\r"),
            send(b"+CMTI: \"SM\",5\r\nOK\r\n"),
        ],
    );
    assert!(
        modem
            .raw("AT", Duration::from_secs(1), &[])
            .await
            .unwrap()
            .is_ok()
    );
    assert_eq!(modem.dropped_urcs(), 3);
    assert_eq!(urcs.recv().await.unwrap().line, "+CMTI: \"SM\",1");
    assert_eq!(urcs.recv().await.unwrap().line, "+CMTI: \"SM\",2");
}

#[tokio::test(start_paused = true)]
async fn two_line_urcs_arrive_with_their_pdu() {
    let (_modem, mut urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![send(
            b"\r\n+CMT: ,23\r\n0791AABB\r\n+CDS: 25\r\n0791CCDD\r\n",
        )],
    );
    let cmt = urcs.recv().await.unwrap();
    assert_eq!(
        (cmt.name(), cmt.data.as_deref()),
        ("+CMT", Some("0791AABB"))
    );
    let cds = urcs.recv().await.unwrap();
    assert_eq!(
        (cds.name(), cds.params(), cds.data.as_deref()),
        ("+CDS", "25", Some("0791CCDD"))
    );
}

#[tokio::test(start_paused = true)]
async fn the_end_of_the_stream_fails_the_command_and_reports_eof() {
    use tokio::io::AsyncReadExt;
    let (modem, _urcs, mut far) = default_engine();
    let pending = tokio::spawn({
        let modem = modem.clone();
        async move { modem.run(&Csq).await }
    });
    let mut got = [0u8; 7];
    far.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"AT+CSQ\r");
    drop(far); // the modem is unplugged
    assert!(matches!(
        pending.await.unwrap(),
        Err(AtError::Closed {
            payload_sent: false
        })
    ));
    assert_eq!(modem.closed().await, ExitReason::Eof);
    assert!(modem.is_closed());
    assert!(matches!(modem.run(&Csq).await, Err(AtError::Closed { .. })));
}

#[tokio::test(start_paused = true)]
async fn unplugging_after_the_payload_says_the_message_may_have_gone_out() {
    let (modem, _urcs, far) = default_engine();
    let script = spawn_script(
        far,
        vec![expect(b"AT+CMGS=1\r"), send(b"> "), expect(b"AA\x1a")],
    );
    let pending = tokio::spawn({
        let modem = modem.clone();
        async move { modem.request(Request::new("AT+CMGS=1").payload("AA")).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    script.abort();
    let err = pending.await.unwrap().unwrap_err();
    assert!(
        matches!(err, AtError::Closed { payload_sent: true }),
        "{err}"
    );
    assert!(err.payload_may_have_been_sent());
}

#[tokio::test(start_paused = true)]
async fn the_cancellation_token_stops_the_engine() {
    let cancel = tokio_util::sync::CancellationToken::new();
    let (modem, mut urcs, _far) = engine(EngineConfig {
        cancel: cancel.clone(),
        ..Default::default()
    });
    cancel.cancel();
    assert_eq!(modem.closed().await, ExitReason::Cancelled);
    assert!(urcs.recv().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn dropping_every_handle_stops_the_engine() {
    let (modem, mut urcs, _far) = default_engine();
    let other = modem.clone();
    drop(modem);
    drop(other);
    assert!(
        urcs.recv().await.is_none(),
        "URC channel closes when the engine stops"
    );
}

#[tokio::test(start_paused = true)]
async fn a_ussd_menu_after_ok_arrives_as_one_urc() {
    let (modem, mut urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+CUSD=1,\"*100#\",15\r"),
            send(b"\r\nOK\r\n"),
            sleep_ms(2_000),
            send(b"\r\n+CUSD: 1,\"Menu\r\n1. Balance\r\n2. Bundles\",15\r\n"),
        ],
    );
    let r = modem
        .raw("AT+CUSD=1,\"*100#\",15", Duration::from_secs(5), &[])
        .await
        .unwrap();
    assert!(r.is_ok());
    let urc = urcs.recv().await.unwrap();
    assert_eq!(urc.name(), "+CUSD");
    assert_eq!(
        smsgate_at::fields(urc.params())[1],
        "\"Menu\n1. Balance\n2. Bundles\""
    );
}

#[tokio::test(start_paused = true)]
async fn paced_writes_pause_between_chunks_and_commands_keep_their_gap() {
    let (modem, _urcs, far) = engine(EngineConfig {
        write_pacing: Some(smsgate_at::WritePacing {
            chunk: 4,
            pause: Duration::from_millis(10),
        }),
        command_gap: Duration::from_millis(100),
        ..Default::default()
    });
    let script = spawn_script(
        far,
        vec![
            expect(b"AT+CSQ\r"),
            send(b"OK\r\n"),
            expect(b"AT+CSQ\r"),
            send(b"OK\r\n"),
        ],
    );
    let started = tokio::time::Instant::now();
    assert!(
        modem
            .raw("AT+CSQ", Duration::from_secs(1), &[])
            .await
            .unwrap()
            .is_ok()
    );
    // 7 bytes in chunks of 4: one pause.
    assert_eq!(started.elapsed(), Duration::from_millis(10));
    assert!(
        modem
            .raw("AT+CSQ", Duration::from_secs(1), &[])
            .await
            .unwrap()
            .is_ok()
    );
    // Gap of 100 ms after the first answer, then one pause.
    assert_eq!(started.elapsed(), Duration::from_millis(120));
    drop(modem);
    assert_eq!(script.await.unwrap(), b"AT+CSQ\rAT+CSQ\r");
}

#[tokio::test(start_paused = true)]
async fn an_error_instead_of_the_prompt_fails_the_send_without_writing_the_payload() {
    let (modem, _urcs, far) = default_engine();
    let script = spawn_script(
        far,
        vec![
            expect(b"AT+CMGS=24\r"),
            send(b"AT+CMGS=24\r\r\n+CMS ERROR: 330\r\n"),
        ],
    );
    let err = modem
        .request(Request::new("AT+CMGS=24").expect("+CMGS").payload("0011"))
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert!(
        matches!(err, AtError::Cms(CmsError::SmscAddressUnknown)),
        "{err}"
    );
    assert!(!err.payload_may_have_been_sent());
    drop(modem);
    assert_eq!(script.await.unwrap(), b"AT+CMGS=24\r");
}

#[tokio::test(start_paused = true)]
async fn a_sensitive_command_is_redacted_in_errors() {
    struct Pin;
    impl AtCommand for Pin {
        type Output = ();
        fn write(&self, out: &mut Vec<u8>) {
            out.extend_from_slice(b"AT+CPIN=\"1234\"");
        }
        fn sensitive(&self) -> bool {
            true
        }
        fn timeout(&self) -> Duration {
            Duration::from_secs(1)
        }
        fn parse(&self, _: &Response) -> Result<(), AtError> {
            Ok(())
        }
    }
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(far, vec![expect(b"AT+CPIN=\"1234\"\r")]);
    let err = modem.run(&Pin).await.unwrap_err();
    assert!(!err.to_string().contains("1234"), "{err}");
    assert!(err.to_string().contains("AT+CPIN=<redacted>"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_modem_without_s3_queries_resynchronises_after_the_quiet_period() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+DEAD\r"),
            expect(b"ATS3?\r"),
            send(b"\r\nERROR\r\n"),
            expect(b"AT\r"),
            send(b"\r\nOK\r\n"),
        ],
    );
    assert!(matches!(
        modem.raw("AT+DEAD", Duration::from_secs(1), &[]).await,
        Err(AtError::Timeout { .. })
    ));
    let started = tokio::time::Instant::now();
    assert!(
        modem
            .raw("AT", Duration::from_secs(1), &[])
            .await
            .unwrap()
            .is_ok()
    );
    assert_eq!(started.elapsed(), Duration::from_millis(500));
}

#[tokio::test(start_paused = true)]
async fn a_late_answer_plus_the_probes_error_resynchronise_at_once() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+SLOW\r"),
            expect(b"ATS3?\r"),
            send(b"\r\n+SLOW: 1\r\nOK\r\n\r\nERROR\r\n"),
            expect(b"AT+NEXT\r"),
            send(b"\r\n+NEXT: 3\r\nOK\r\n"),
        ],
    );
    assert!(matches!(
        modem.raw("AT+SLOW", Duration::from_secs(1), &[]).await,
        Err(AtError::Timeout { .. })
    ));
    let started = tokio::time::Instant::now();
    let next = modem
        .raw("AT+NEXT", Duration::from_secs(1), &["+NEXT"])
        .await
        .unwrap();
    assert_eq!(next.lines, vec!["+NEXT: 3"]);
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn an_echo_after_ate0_is_counted_so_a_silent_reboot_shows() {
    let (modem, _urcs, far) = default_engine();
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+CSQ\r"),
            send(b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
            // The modem rebooted: its defaults echo every command line again.
            expect(b"AT+CSQ\r"),
            send(b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
            expect(b"AT+CMGS=1\r"),
            // The payload echoed after the prompt is not a command echo.
            send(b"\r\n> AA\r\n"),
            expect(b"AA\x1a"),
            send(b"\r\n+CMGS: 4\r\n\r\nOK\r\n"),
        ],
    );
    modem.run(&Csq).await.unwrap();
    assert_eq!(modem.echoes_seen(), 0);
    modem.run(&Csq).await.unwrap();
    assert_eq!(modem.echoes_seen(), 1);
    let sent = modem
        .request(Request::new("AT+CMGS=1").expect("+CMGS").payload("AA"))
        .await
        .unwrap();
    assert_eq!(sent.value("+CMGS"), Some("4"));
    assert_eq!(modem.echoes_seen(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_restart_announced_during_a_send_fails_it_at_once_saying_the_payload_went_out() {
    let (modem, mut urcs, far) = engine(EngineConfig {
        interrupt_on: vec!["RDY".into(), "+WIND: 3".into()],
        ..Default::default()
    });
    let _script = spawn_script(
        far,
        vec![
            expect(b"AT+CMGS=1\r"),
            send(b"\r\n> "),
            expect(b"AA\x1a"),
            sleep_ms(500),
            send(b"\r\nRDY\r\n"),
            expect(b"AT+CMGS=1\r"),
            sleep_ms(200),
            send(b"\r\n+WIND: 3\r\n"),
            expect(b"AT\r"),
            send(b"\r\nOK\r\n"),
        ],
    );
    let started = tokio::time::Instant::now();
    let send = Request::new("AT+CMGS=1")
        .expect("+CMGS")
        .payload("AA")
        .timeout(Duration::from_secs(60));
    let err = modem.request(send.clone()).await.unwrap_err();
    assert!(
        matches!(&err, AtError::Interrupted { payload_sent: true, line, .. } if line == "RDY"),
        "{err}"
    );
    assert!(err.payload_may_have_been_sent());
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(500),
        "not the 60 s send timeout"
    );
    assert_eq!(urcs.recv().await.unwrap().line, "RDY");
    // Before the prompt: nothing went out.
    let err = modem.request(send).await.unwrap_err();
    assert!(
        matches!(
            err,
            AtError::Interrupted {
                payload_sent: false,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(urcs.recv().await.unwrap().line, "+WIND: 3");
    // No resynchronisation is owed: the next command runs at once.
    let ok = modem.raw("AT", Duration::from_secs(1), &[]).await.unwrap();
    assert!(ok.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_restart_line_that_is_not_configured_stays_an_ordinary_urc() {
    let (modem, mut urcs, far) = default_engine();
    let _script = spawn_script(far, vec![expect(b"AT\r"), send(b"\r\nRDY\r\n\r\nOK\r\n")]);
    assert!(
        modem
            .raw("AT", Duration::from_secs(1), &[])
            .await
            .unwrap()
            .is_ok()
    );
    assert_eq!(urcs.recv().await.unwrap().line, "RDY");
}
