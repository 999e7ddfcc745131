//! Time fields: TP-SCTS / TP-DT / absolute TP-VP (7 swapped semi-octets, zone in quarter hours with
//! the sign in bit 3) and the relative validity period (TS 23.040 §9.2.3.11, §9.2.3.12).

use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};
use serde::{Deserialize, Serialize};

use crate::PduError;

/// TP-VP as found in an SMS-SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Validity {
    /// TP-VPF 10: one octet; `duration` is what it means.
    Relative { raw: u8, duration: Duration },
    /// TP-VPF 11: an SCTS-format point in time.
    Absolute(DateTime<FixedOffset>),
    /// TP-VPF 01: seven octets, kept raw.
    Enhanced([u8; 7]),
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;

/// What a relative TP-VP octet means: 0–143 (n+1)×5 min, 144–167 12 h + (n−143)×30 min,
/// 168–196 (n−166) days, 197–255 (n−192) weeks.
pub fn relative_validity_duration(raw: u8) -> Duration {
    let n = u64::from(raw);
    Duration::from_secs(match raw {
        0..=143 => (n + 1) * 5 * MINUTE,
        144..=167 => 12 * HOUR + (n - 143) * 30 * MINUTE,
        168..=196 => (n - 166) * DAY,
        _ => (n - 192) * WEEK,
    })
}

/// The smallest relative TP-VP that lasts at least `d` (rounded up to the next step 23.040 can
/// express; anything under 5 minutes is 5 minutes). Over 63 weeks is an error.
pub fn relative_validity_octet(d: Duration) -> Result<u8, PduError> {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let value = if secs <= 12 * HOUR {
        secs.div_ceil(5 * MINUTE).max(1) - 1
    } else if secs <= DAY {
        143 + (secs - 12 * HOUR).div_ceil(30 * MINUTE)
    } else if secs <= 30 * DAY {
        166 + secs.div_ceil(DAY)
    } else if secs <= 63 * WEEK {
        192 + secs.div_ceil(WEEK)
    } else {
        return Err(PduError::ValidityTooLong(d));
    };
    // Every branch above stays within 0..=255.
    Ok(value as u8)
}

fn swapped_digits(b: u8) -> (u8, u8) {
    (b & 0x0F, b >> 4)
}

/// Decode 7 SCTS octets. Years are 20xx. Date and time digits must be BCD; the zone octet is read
/// the way python-gsmmodem and python-messaging read it (tens digit × 10 + units, even when the
/// units nibble is not BCD), so a slightly wrong zone still decodes.
pub fn decode_scts(
    bytes: &[u8],
    field: &'static str,
    offset: usize,
) -> Result<DateTime<FixedOffset>, PduError> {
    let invalid = |detail: String| PduError::InvalidTimestamp {
        field,
        offset,
        detail,
    };
    let Some(bytes) = bytes.get(..7) else {
        return Err(PduError::Truncated {
            field,
            offset,
            needed: 7,
            available: bytes.len(),
        });
    };
    let mut v = [0u32; 6];
    for (i, slot) in v.iter_mut().enumerate() {
        let (tens, units) = swapped_digits(bytes[i]);
        if tens > 9 || units > 9 {
            return Err(invalid(format!(
                "octet {:02X} of the date/time is not BCD",
                bytes[i]
            )));
        }
        *slot = u32::from(tens) * 10 + u32::from(units);
    }
    let (tz_tens, tz_units) = swapped_digits(bytes[6]);
    let quarters = i32::from(tz_tens & 0x07) * 10 + i32::from(tz_units);
    let negative = tz_tens & 0x08 != 0;
    let seconds = quarters * 15 * 60 * if negative { -1 } else { 1 };
    let offset_tz = FixedOffset::east_opt(seconds).ok_or_else(|| {
        invalid(format!(
            "time zone {quarters} quarter hours is out of range"
        ))
    })?;
    let year = 2000 + v[0] as i32;
    let date = NaiveDate::from_ymd_opt(year, v[1], v[2])
        .ok_or_else(|| invalid(format!("{year:04}-{:02}-{:02} is not a date", v[1], v[2])))?;
    let naive = date.and_hms_opt(v[3], v[4], v[5]).ok_or_else(|| {
        invalid(format!(
            "{:02}:{:02}:{:02} is not a time of day",
            v[3], v[4], v[5]
        ))
    })?;
    naive
        .and_local_timezone(offset_tz)
        .single()
        .ok_or_else(|| invalid("ambiguous local time".to_string()))
}

/// Encode a timestamp as 7 SCTS octets. The offset must be whole quarter hours within ±19:45 and
/// the year within 2000..=2099.
pub fn encode_scts(t: &DateTime<FixedOffset>, field: &'static str) -> Result<[u8; 7], PduError> {
    let err = |detail: String| PduError::UnencodableTimestamp { field, detail };
    let year = t.year();
    if !(2000..=2099).contains(&year) {
        return Err(err(format!("year {year} is outside 2000..=2099")));
    }
    let offset = t.offset().local_minus_utc();
    if offset % 900 != 0 || offset.abs() / 900 > 79 {
        return Err(err(format!(
            "offset {offset} s is not a whole number of quarter hours within ±79"
        )));
    }
    let bcd = |n: u32| -> u8 { ((n % 10) as u8) << 4 | (n / 10 % 10) as u8 };
    let quarters = (offset.abs() / 900) as u32;
    let mut tz = bcd(quarters);
    if offset < 0 {
        tz |= 0x08;
    }
    Ok([
        bcd((year - 2000) as u32),
        bcd(t.month()),
        bcd(t.day()),
        bcd(t.hour()),
        bcd(t.minute()),
        bcd(t.second()),
        tz,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn timestamps_with_positive_and_negative_zones_decode() {
        let t = decode_scts(&h("51117200000080"), "scts", 0).unwrap();
        assert_eq!(t.to_rfc3339(), "2015-11-27T00:00:00+02:00");
        let t = decode_scts(&h("70402132522423"), "scts", 0).unwrap();
        assert_eq!(t.to_rfc3339(), "2007-04-12T23:25:42+08:00");
        let t = decode_scts(&h("7040213252242B"), "scts", 0).unwrap();
        assert_eq!(t.to_rfc3339(), "2007-04-12T23:25:42-08:00");
    }

    #[test]
    fn encode_reverses_decode_including_negative_offsets() {
        for s in ["51117200000080", "7040213252242B", "11101021436500"] {
            let t = decode_scts(&h(s), "scts", 0).unwrap();
            assert_eq!(hex::encode_upper(encode_scts(&t, "t").unwrap()), s);
        }
    }

    #[test]
    fn non_bcd_date_digits_and_impossible_dates_are_errors() {
        assert!(decode_scts(&h("A1117200000080"), "scts", 0).is_err());
        assert!(decode_scts(&h("51317200000080"), "scts", 0).is_err());
        assert!(decode_scts(&h("511172"), "scts", 0).is_err());
    }

    #[test]
    fn relative_validity_matches_the_python_gsmmodem_vectors() {
        let m = |n: u64| Duration::from_secs(n * 60);
        assert_eq!(relative_validity_octet(m(30)).unwrap(), 5);
        assert_eq!(relative_validity_octet(m(16 * 60)).unwrap(), 151);
        assert_eq!(relative_validity_octet(m(3 * 1440)).unwrap(), 169);
        assert_eq!(relative_validity_octet(m(5 * 7 * 1440)).unwrap(), 197);
        assert_eq!(relative_validity_octet(m(24 * 60)).unwrap(), 167);
        assert_eq!(relative_validity_octet(m(63 * 7 * 1440)).unwrap(), 255);
        assert!(relative_validity_octet(m(63 * 7 * 1440 + 1)).is_err());
    }

    #[test]
    fn relative_validity_rounds_up_and_round_trips_every_octet() {
        assert_eq!(relative_validity_octet(Duration::from_secs(1)).unwrap(), 0);
        assert_eq!(
            relative_validity_octet(Duration::from_secs(301)).unwrap(),
            1
        );
        for raw in 0..=255u8 {
            let d = relative_validity_duration(raw);
            assert_eq!(relative_validity_octet(d).unwrap(), raw, "{raw}");
        }
    }
}
