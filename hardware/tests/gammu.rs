//! The real gammu client drives a simulated modem over its pty: it cannot tell it from a modem.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::path::Path;

use smsgate_hardware::Inbound;

fn gammurc(dir: &Path, device: &Path) -> std::path::PathBuf {
    let rc = dir.join("gammurc");
    std::fs::write(
        &rc,
        format!("[gammu]\ndevice = {}\nconnection = at\n", device.display()),
    )
    .unwrap();
    rc
}

async fn gammu(rc: &Path, args: &[&str]) -> String {
    let out = tokio::process::Command::new("gammu")
        .arg("-c")
        .arg(rc)
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!("cannot run gammu ({e}); install it: apt-get update && apt-get install -y gammu")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "gammu {args:?} failed: {text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_identify_shows_the_simulated_identity() {
    let t = common::start(1, |_| {});
    let rc = gammurc(t.dir.path(), t.lab.modem_path(0).unwrap());
    let out = gammu(&rc, &["identify"]).await;
    eprintln!("{out}");
    let spec = &t.lab.specs()[0];
    assert!(out.contains("SMSGATE"), "{out}");
    assert!(out.contains("SIMULATED-GSM"), "{out}");
    assert!(out.contains(&spec.imei), "{out}");
    assert!(out.contains(&spec.imsi), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_sendsms_text_reaches_the_external_handset_exactly() {
    let t = common::start(1, |_| {});
    let rc = gammurc(t.dir.path(), t.lab.modem_path(0).unwrap());
    gammu(
        &rc,
        &[
            "sendsms",
            "TEXT",
            "+447700900123",
            "-text",
            "Hello from gammu @ lab!",
        ],
    )
    .await;
    let got = t.lab.wait_handset("+447700900123", 1).await;
    assert_eq!(got[0].text, "Hello from gammu @ lab!");
    assert_eq!(got[0].from, t.lab.specs()[0].msisdn);
    assert_eq!(got[0].encoding, smsgate_pdu::Encoding::Gsm7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_sendsms_unicode_reaches_the_handset_as_ucs2() {
    let t = common::start(1, |_| {});
    let rc = gammurc(t.dir.path(), t.lab.modem_path(0).unwrap());
    let text = "Привет, 世界";
    gammu(
        &rc,
        &[
            "sendsms",
            "TEXT",
            "+447700900124",
            "-unicode",
            "-text",
            text,
        ],
    )
    .await;
    let got = t.lab.wait_handset("+447700900124", 1).await;
    assert_eq!(got[0].text, text);
    assert_eq!(got[0].encoding, smsgate_pdu::Encoding::Ucs2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_sendsms_300_characters_is_reassembled_at_the_handset() {
    let t = common::start(1, |_| {});
    let rc = gammurc(t.dir.path(), t.lab.modem_path(0).unwrap());
    let text: String = (0..300)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    gammu(
        &rc,
        &[
            "sendsms",
            "TEXT",
            "+447700900125",
            "-len",
            "300",
            "-text",
            &text,
        ],
    )
    .await;
    let got = t.lab.wait_handset("+447700900125", 1).await;
    assert_eq!(got[0].text, text);
    assert_eq!(got[0].parts, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_getallsms_lists_an_injected_inbound_sms() {
    let t = common::start(1, |_| {});
    let rc = gammurc(t.dir.path(), t.lab.modem_path(0).unwrap());
    let parts = t
        .lab
        .inject(&Inbound {
            from: "+33612345678".into(),
            to: t.lab.specs()[0].msisdn.clone(),
            text: "Bonjour depuis la France".into(),
            encoding: None,
            out_of_order: false,
            drop_part: None,
        })
        .unwrap();
    assert_eq!(parts, 1);
    // The inject is queued to the modem task; a snapshot round trip proves it was stored.
    let m = t.lab.modems().await.unwrap();
    assert_eq!(m[0].state.stored[0], 1);
    let out = gammu(&rc, &["getallsms"]).await;
    assert!(out.contains("+33612345678"), "{out}");
    assert!(out.contains("Bonjour depuis la France"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_getussd_returns_the_balance() {
    let t = common::start(1, |_| {});
    let rc = gammurc(t.dir.path(), t.lab.modem_path(0).unwrap());
    let out = gammu(&rc, &["getussd", "*100#"]).await;
    assert!(out.contains("Your balance is 10.00 USD"), "{out}");
}

/// gammu recognises vendors by their identity strings and switches on its quirk handling (Huawei: SMS
/// locations from 0, …); every profile must still work end to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_sends_and_reads_through_every_vendor_profile() {
    use smsgate_hardware::sim::profile::ProfileId;
    // One lab per profile, all at once: gammu spends its time waiting, not computing.
    let mut runs = tokio::task::JoinSet::new();
    for profile in ProfileId::ALL {
        runs.spawn(check_profile(profile));
    }
    while let Some(r) = runs.join_next().await {
        r.unwrap();
    }
}

async fn check_profile(profile: smsgate_hardware::sim::profile::ProfileId) {
    {
        let t = common::start(1, |cfg| cfg.profile = profile);
        let rc = gammurc(t.dir.path(), t.lab.modem_path(0).unwrap());
        let out = gammu(&rc, &["identify"]).await;
        // gammu prints its own spelling of known vendors ("Huawei" for "huawei").
        let want = profile.profile().manufacturer.to_lowercase();
        assert!(out.to_lowercase().contains(&want), "{profile:?}: {out}");
        assert!(out.contains(profile.profile().model), "{profile:?}: {out}");
        gammu(
            &rc,
            &["sendsms", "TEXT", "+447700900130", "-text", "profile check"],
        )
        .await;
        let got = t.lab.wait_handset("+447700900130", 1).await;
        assert_eq!(got[0].text, "profile check", "{profile:?}");
        t.lab
            .inject(&Inbound {
                from: "+33612345678".into(),
                to: t.lab.specs()[0].msisdn.clone(),
                text: "inbound check".into(),
                encoding: None,
                out_of_order: false,
                drop_part: None,
            })
            .unwrap();
        t.lab.modems().await.unwrap();
        let out = gammu(&rc, &["getallsms"]).await;
        assert!(out.contains("inbound check"), "{profile:?}: {out}");
        let out = gammu(&rc, &["getussd", "*100#"]).await;
        assert!(
            out.contains("Your balance is 10.00 USD"),
            "{profile:?}: {out}"
        );
    }
}
