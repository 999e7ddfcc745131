//! One number format for both sides of the contract: phone numbers are stored and compared in
//! E.164 (`+` and digits), parsed with the `rlibphonenumber` crate (a port of Google's
//! libphonenumber checked against the upstream C++ library, with its metadata). The hub stores every number this way; a gateway reads a recipient with the same
//! rule before comparing it with the opt-outs the hub pushed (`down/opt_outs`).
//!
//! The rule ([`normalise`]):
//! - letters anywhere → an **alphanumeric sender** (`ACME`, `Info-SMS`): kept as written (trimmed);
//! - spaces, dots, dashes, slashes and parentheses are ignored;
//! - `+…` → international; `00…` (and the country's own international prefix, e.g. `011` in
//!   North America) → international;
//! - 3 to 6 digits → a **short code** (`36179`), kept as written;
//! - other digits → national in the **context country**, unless they only make sense as an
//!   international number written without its `+` (`447700900600` from a French channel is
//!   `+447700900600`). With no context country, digits must read as international.
//!
//! The context country is the channel's `country`, else the country of the channel's own SIM
//! number, else the tenant's `country` (see [`context_country`]).

use rlibphonenumber::{PHONE_NUMBER_UTIL as UTIL, PhoneNumber, PhoneNumberFormat, Region};

/// A country (ISO 3166 alpha-2 region), the context numbers written nationally are read in.
pub type Country = Region;
use Country as Id;

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("must not be empty")]
    Empty,
    #[error("{0:?} is not a phone number (expected + and the country code, then digits)")]
    NotANumber(String),
    #[error(
        "{0:?} is written without its country code: write it as +<country code><number>, or set the channel's or tenant's country"
    )]
    NeedsCountry(String),
    #[error("{0:?} is not a phone number that can receive SMS")]
    NotARecipient(String),
}

/// What a normalised string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    E164,
    ShortCode,
    Alphanumeric,
}

/// A country code (`FR`, `gb`) as the API accepts it, upper-cased; `None` if unknown.
pub fn country(code: &str) -> Option<Id> {
    let code = code.trim();
    // Two letters only: the metadata's non-geographical "001" is not a country.
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let region = code.to_ascii_uppercase().parse::<Id>().ok()?;
    // Only a region the metadata has numbers for.
    UTIL.get_country_code_for_region(region).map(|_| region)
}

/// Validates an ISO 3166 alpha-2 country field; returns it upper-cased.
pub fn valid_country(code: &str) -> Option<String> {
    country(code).map(|_| code.trim().to_ascii_uppercase())
}

/// The country of an E.164 number (`+33…` → FR), if the metadata knows it.
pub fn country_of(e164: &str) -> Option<Id> {
    parse(e164, None).and_then(|n| UTIL.get_region_for_number(&n))
}

/// The context country of a channel: its own `country`, else its SIM number's, else the
/// tenant's.
pub fn context_country(
    channel_country: Option<&str>,
    sim_number: Option<&str>,
    tenant_country: Option<&str>,
) -> Option<Id> {
    channel_country
        .and_then(country)
        .or_else(|| sim_number.and_then(country_of))
        .or_else(|| tenant_country.and_then(country))
}

/// Normalises a sender or recipient as written by a person or a modem (see the module rule).
pub fn normalise(raw: &str, context: Option<Id>) -> Result<(String, Kind), NumberError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(NumberError::Empty);
    }
    if t.chars().any(|c| c.is_alphabetic()) {
        return Ok((t.to_owned(), Kind::Alphanumeric));
    }
    let compact: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '/' | '(' | ')' | '\u{a0}' | '\t'))
        .collect();
    let (plus, digits) = match compact.strip_prefix('+') {
        Some(d) => (true, d),
        None => (false, compact.as_str()),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(NumberError::NotANumber(t.to_owned()));
    }
    if plus {
        return international(digits).ok_or_else(|| NumberError::NotANumber(t.to_owned()));
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return international(rest).ok_or_else(|| NumberError::NotANumber(t.to_owned()));
    }
    if (3..=6).contains(&digits.len()) {
        return Ok((digits.to_owned(), Kind::ShortCode));
    }
    if digits.len() < 3 || digits.len() > 17 {
        return Err(NumberError::NotANumber(t.to_owned()));
    }
    let Some(c) = context else {
        // Without a country, only an international number missing its `+` makes sense.
        return match parse(&format!("+{digits}"), None) {
            Some(n) if UTIL.is_valid_number(&n) || digits.len() >= 11 => Ok((e164(&n), Kind::E164)),
            _ => Err(NumberError::NeedsCountry(t.to_owned())),
        };
    };
    let national = parse(digits, Some(c));
    if let Some(n) = national.as_ref().filter(|n| UTIL.is_valid_number(n)) {
        return Ok((e164(n), Kind::E164));
    }
    let intl = parse(&format!("+{digits}"), None);
    if let Some(n) = intl.as_ref().filter(|n| UTIL.is_valid_number(n)) {
        return Ok((e164(n), Kind::E164));
    }
    // Neither reads as a valid number: a trunk prefix means national, a long string without
    // one means an international number without its `+`.
    let pick = if digits.starts_with('0') || digits.len() < 11 {
        national.or(intl)
    } else {
        intl.or(national)
    };
    pick.map(|n| (e164(&n), Kind::E164))
        .ok_or_else(|| NumberError::NotANumber(t.to_owned()))
}

/// Normalises a number to send to: E.164 or a short code, never an alphanumeric name.
pub fn recipient(raw: &str, context: Option<Id>) -> Result<String, NumberError> {
    match normalise(raw, context)? {
        (n, Kind::E164 | Kind::ShortCode) => Ok(n),
        (_, Kind::Alphanumeric) => Err(NumberError::NotARecipient(raw.trim().to_owned())),
    }
}

/// Normalises what a gateway reports (a sender): never refused, kept as written if unreadable.
pub fn sender(raw: &str, context: Option<Id>) -> String {
    normalise(raw, context).map_or_else(|_| raw.trim().to_owned(), |(n, _)| n)
}

fn international(digits: &str) -> Option<(String, Kind)> {
    if !(7..=15).contains(&digits.len()) {
        return None;
    }
    let n = parse(&format!("+{digits}"), None)?;
    Some((e164(&n), Kind::E164))
}

fn parse(text: &str, region: Option<Id>) -> Option<PhoneNumber> {
    UTIL.parse(text, region).ok()
}

fn e164(n: &PhoneNumber) -> String {
    UTIL.format(n, PhoneNumberFormat::E164).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (country, as written, E.164): national, international, 00-prefixed, spaced and
    /// punctuated forms in 12 countries.
    const TABLE: &[(&str, &str, &str)] = &[
        ("FR", "06 12 34 56 78", "+33612345678"),
        ("FR", "06.12.34.56.78", "+33612345678"),
        ("FR", "+33 (0)6 12 34 56 78", "+33612345678"),
        ("FR", "0033612345678", "+33612345678"),
        ("GB", "07400 123456", "+447400123456"),
        ("GB", "+44 7400 123456", "+447400123456"),
        ("GB", "00 44 7400 123456", "+447400123456"),
        ("US", "(415) 555-2671", "+14155552671"),
        ("US", "415.555.2671", "+14155552671"),
        ("US", "011 44 7400 123456", "+447400123456"),
        ("DE", "01512 3456789", "+4915123456789"),
        ("DE", "+49 1512 3456789", "+4915123456789"),
        ("ES", "612 34 56 78", "+34612345678"),
        ("ES", "0034 612345678", "+34612345678"),
        ("IT", "312 345 6789", "+393123456789"),
        ("BE", "0470 12 34 56", "+32470123456"),
        ("CH", "078 123 45 67", "+41781234567"),
        ("MA", "0612-345678", "+212612345678"),
        ("SN", "77 123 45 67", "+221771234567"),
        ("NG", "0802 123 4567", "+2348021234567"),
        ("IN", "98765 43210", "+919876543210"),
        ("BR", "(11) 96123-4567", "+5511961234567"),
    ];

    #[test]
    fn national_international_00_spaced_and_punctuated_forms_normalise_to_e164() {
        for (c, raw, want) in TABLE {
            let got = normalise(raw, country(c));
            assert_eq!(got, Ok(((*want).to_owned(), Kind::E164)), "{c} {raw}");
        }
    }

    #[test]
    fn an_international_number_written_without_plus_is_read_as_such() {
        let fr = country("FR");
        assert_eq!(recipient("447700900600", fr).unwrap(), "+447700900600");
        assert_eq!(recipient("00447700900600", fr).unwrap(), "+447700900600");
        assert_eq!(recipient("+447700900600", fr).unwrap(), "+447700900600");
        assert_eq!(recipient("447700900322", None).unwrap(), "+447700900322");
    }

    #[test]
    fn alphanumeric_senders_and_short_codes_are_kept_as_written() {
        assert_eq!(
            normalise(" ACME ", None),
            Ok(("ACME".into(), Kind::Alphanumeric))
        );
        assert_eq!(
            normalise("Info-SMS", country("FR")),
            Ok(("Info-SMS".into(), Kind::Alphanumeric))
        );
        assert_eq!(
            normalise("36179", country("FR")),
            Ok(("36179".into(), Kind::ShortCode))
        );
        assert_eq!(sender("ACME", None), "ACME");
        assert!(matches!(
            recipient("ACME", None),
            Err(NumberError::NotARecipient(_))
        ));
    }

    #[test]
    fn a_national_number_without_a_country_is_refused_naming_the_fix() {
        assert!(matches!(
            recipient("0612345678", None),
            Err(NumberError::NeedsCountry(_))
        ));
        assert!(matches!(
            recipient("abc+", None),
            Err(NumberError::NotARecipient(_))
        ));
        assert!(matches!(
            recipient("+33 6 12", None),
            Err(NumberError::NotANumber(_))
        ));
        assert!(matches!(recipient("", None), Err(NumberError::Empty)));
        assert!(matches!(
            recipient("12", None),
            Err(NumberError::NotANumber(_))
        ));
    }

    #[test]
    fn the_context_country_is_the_channels_then_its_sim_numbers_then_the_tenants() {
        assert_eq!(
            context_country(Some("GB"), Some("+33700000001"), Some("US")),
            country("GB")
        );
        assert_eq!(
            context_country(None, Some("+33612345678"), Some("US")),
            country("FR")
        );
        assert_eq!(context_country(None, None, Some("us")), country("US"));
        assert_eq!(valid_country("fr").as_deref(), Some("FR"));
        assert_eq!(valid_country("XX"), None);
    }
}
