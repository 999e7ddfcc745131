//! `smsgate pdu encode|decode`: a thin front to `smsgate-pdu`. The output formats are stable
//! (other tools parse them):
//!
//! - `encode` prints one line per segment: `<tpdu-length> <HEX>`, the length as `AT+CMGS=` wants
//!   it (TPDU octets, SMSC prefix excluded), the hex with the SMSC prefix (`00` when none).
//! - `decode` prints one JSON object on one line. Always present: `type`, `number`, `smsc`,
//!   `text`, `encoding`, `timestamp`, `concat`, `mr`, `status` (null where they do not apply);
//!   plus the fields of the message type (see [`to_json`]).

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use smsgate_pdu::{
    DataCoding, Encoding, NationalLanguage, Pdu, SubmitOptions, TypeOfNumber, UserData, Validity,
    decode_hex, decode_tpdu, encode_submit,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PduCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PduCommand {
    /// Encode an SMS-SUBMIT; prints `<tpdu-length> <hex>` per segment.
    Encode(EncodeArgs),
    /// Decode a PDU (hex, with the SMSC prefix as +CMGR/+CMT give it); prints one JSON line.
    Decode(DecodeArgs),
}

#[derive(Debug, clap::Args)]
struct EncodeArgs {
    /// Recipient: `+33612345678` (international) or digits as dialled.
    #[arg(long)]
    to: String,
    /// Message text (any Unicode; split into segments as needed).
    #[arg(long)]
    text: String,
    /// SMSC number for the prefix (default: `00`, the modem's configured SMSC).
    #[arg(long)]
    smsc: Option<String>,
    /// Request a status report (TP-SRR).
    #[arg(long)]
    status_report: bool,
    /// Ask the SMSC to reject duplicates (TP-RD).
    #[arg(long)]
    reject_duplicates: bool,
    /// Relative validity, e.g. `30m`, `12h`, `1d`, `1w` (rounded up to what TS 23.040 can express).
    #[arg(long, value_parser = parse_validity)]
    validity: Option<Duration>,
    /// Force an encoding instead of the smallest that carries the text.
    #[arg(long, value_parser = parse_encoding)]
    encoding: Option<Encoding>,
    /// Allow this national language's GSM-7 shift tables.
    #[arg(long, value_parser = parse_language)]
    language: Option<NationalLanguage>,
    /// Concatenation reference shared by the segments (0..=255, or 0..=65535 with --16bit-ref).
    #[arg(long = "ref", default_value_t = 0)]
    concat_ref: u16,
    /// Use a 16-bit concatenation reference (IE 0x08).
    #[arg(long = "16bit-ref")]
    concat_16bit: bool,
    /// TP-MR written in every segment (modems in PDU mode usually assign their own).
    #[arg(long, default_value_t = 0)]
    mr: u8,
    /// Message class 0..=3 (0 = flash).
    #[arg(long)]
    class: Option<u8>,
    /// Write numbers given without '+' (recipient and SMSC) as national (TOA 0xA1) instead of
    /// unknown (TOA 0x81); some networks want this for local numbers.
    #[arg(long)]
    national: bool,
}

#[derive(Debug, clap::Args)]
struct DecodeArgs {
    /// The PDU in hex (any case); `-` reads it from standard input.
    hex: String,
    /// The hex is a bare TPDU without the SMSC prefix.
    #[arg(long)]
    tpdu: bool,
}

fn parse_validity(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (try 30m, 12h, 1d, 1w)"))
}

fn parse_encoding(s: &str) -> Result<Encoding, String> {
    s.parse()
}

fn parse_language(s: &str) -> Result<NationalLanguage, String> {
    s.parse()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        PduCommand::Encode(a) => encode(a),
        PduCommand::Decode(a) => decode(a),
    }
}

fn encode(a: EncodeArgs) -> anyhow::Result<ExitCode> {
    let opts = SubmitOptions {
        smsc: a.smsc,
        status_report: a.status_report,
        reject_duplicates: a.reject_duplicates,
        validity: a.validity,
        message_ref: a.mr,
        concat_ref: a.concat_ref,
        concat_16bit: a.concat_16bit,
        encoding: a.encoding,
        national_language: a.language,
        class: a.class,
        local_number_type: a.national.then_some(TypeOfNumber::National),
        ..SubmitOptions::default()
    };
    let parts = encode_submit(&a.to, &a.text, &opts).context("cannot encode")?;
    for p in parts {
        println!("{} {}", p.tpdu_len, p.hex());
    }
    Ok(ExitCode::SUCCESS)
}

fn decode(a: DecodeArgs) -> anyhow::Result<ExitCode> {
    let hex = if a.hex == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the PDU from standard input")?;
        s
    } else {
        a.hex
    };
    let hex = hex.trim();
    if hex.is_empty() {
        bail!("malformed PDU: no hex given");
    }
    let pdu = if a.tpdu {
        let bytes = ::hex::decode(hex).context("malformed PDU: not hex")?;
        decode_tpdu(&bytes)
    } else {
        decode_hex(hex)
    }
    .context("malformed PDU")?;
    println!("{}", to_json(&pdu));
    Ok(ExitCode::SUCCESS)
}

fn user_data_json(ud: &UserData) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("text".into(), Value::from(ud.text.clone()));
    m.insert("encoding".into(), Value::from(ud.encoding.as_str()));
    m.insert(
        "concat".into(),
        match ud.concat {
            Some(c) => json!({"ref": c.reference, "total": c.total, "seq": c.seq}),
            None => Value::Null,
        },
    );
    if ud.encoding == Encoding::Eight {
        m.insert(
            "data_hex".into(),
            Value::from(::hex::encode_upper(&ud.data)),
        );
    }
    if let Some((dest, src)) = ud.ports() {
        m.insert("ports".into(), json!({"dest": dest, "src": src}));
    }
    if let Some(ies) = &ud.udh {
        let ies: Vec<Value> = ies
            .iter()
            .map(|ie| json!({"iei": ie.iei, "data": ::hex::encode_upper(&ie.data)}))
            .collect();
        m.insert("udh".into(), Value::from(ies));
    }
    if ud.truncated {
        m.insert("truncated".into(), Value::from(true));
    }
    m
}

/// The JSON object `decode` prints.
fn to_json(pdu: &Pdu) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("type".into(), Value::from(pdu.kind()));
    m.insert("number".into(), Value::from(pdu.number().display()));
    m.insert("toa".into(), Value::from(pdu.number().toa()));
    m.insert(
        "smsc".into(),
        pdu.smsc()
            .map(|a| Value::from(a.display()))
            .unwrap_or(Value::Null),
    );
    for key in ["text", "encoding", "timestamp", "concat", "mr", "status"] {
        m.insert(key.into(), Value::Null);
    }
    if let Some(ud) = pdu.user_data() {
        m.extend(user_data_json(ud));
    }
    match pdu {
        Pdu::Deliver(d) => {
            m.insert("timestamp".into(), Value::from(d.timestamp.to_rfc3339()));
            m.insert("pid".into(), Value::from(d.pid));
            m.insert("dcs".into(), Value::from(d.dcs));
            m.insert("class".into(), class(d.dcs));
            m.insert(
                "status_report_indication".into(),
                Value::from(d.status_report_indication),
            );
        }
        Pdu::Submit(s) => {
            m.insert("mr".into(), Value::from(s.message_ref));
            m.insert("pid".into(), Value::from(s.pid));
            m.insert("dcs".into(), Value::from(s.dcs));
            m.insert("class".into(), class(s.dcs));
            m.insert(
                "status_report_request".into(),
                Value::from(s.status_report_request),
            );
            m.insert("reject_duplicates".into(), Value::from(s.reject_duplicates));
            m.insert(
                "validity".into(),
                match &s.validity {
                    None => Value::Null,
                    Some(Validity::Relative { duration, .. }) => {
                        json!({"relative_seconds": duration.as_secs()})
                    }
                    Some(Validity::Absolute(t)) => json!({"absolute": t.to_rfc3339()}),
                    Some(Validity::Enhanced(raw)) => json!({"enhanced": ::hex::encode_upper(raw)}),
                },
            );
        }
        Pdu::StatusReport(r) => {
            m.insert("mr".into(), Value::from(r.message_ref));
            m.insert("status".into(), Value::from(r.status));
            m.insert(
                "status_class".into(),
                serde_json::to_value(r.status_class()).unwrap_or(Value::Null),
            );
            m.insert("timestamp".into(), Value::from(r.sc_timestamp.to_rfc3339()));
            m.insert(
                "discharge_time".into(),
                Value::from(r.discharge_time.to_rfc3339()),
            );
        }
    }
    Value::Object(m)
}

fn class(dcs: u8) -> Value {
    DataCoding::from_dcs(dcs)
        .class
        .map(Value::from)
        .unwrap_or(Value::Null)
}
