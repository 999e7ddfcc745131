//! Pure validation of submitted fields, shared by the JSON API, the bulk CSV upload and the
//! legacy web service. Each error names the field.

use super::error::ApiError;

/// Longest accepted text, in UTF-16 code units: 255 concatenated UCS-2 parts of 67 units.
/// (The legacy 900-character cap is lifted; long texts are split into parts when sent.)
pub const MAX_TEXT_UNITS: usize = 255 * 67;

/// Longest input quoted back in an error message.
const MAX_ECHO: usize = 40;

/// Longest idempotency key / campaign / group / agent name.
pub const MAX_KEY_LEN: usize = 128;

/// Normalises a phone number: spaces, dashes, dots and parentheses are dropped; what remains
/// must be an optional `+` and 3 to 20 digits (short codes, national and international forms).
pub fn phone_number(field: &str, raw: &str) -> Result<String, ApiError> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    if (3..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(cleaned)
    } else if raw.chars().count() > MAX_ECHO {
        // Not echoed whole: an error message stays short whatever was sent.
        Err(ApiError::invalid(
            field,
            format!(
                "is not a phone number ({} characters; optional '+' then 3 to 20 digits)",
                raw.chars().count()
            ),
        ))
    } else {
        Err(ApiError::invalid(
            field,
            format!("{raw:?} is not a phone number (optional '+' then 3 to 20 digits)"),
        ))
    }
}

/// A message text: not blank, at most [`MAX_TEXT_UNITS`] UTF-16 units, any Unicode.
pub fn text(field: &str, raw: &str) -> Result<String, ApiError> {
    if raw.trim().is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    let units = raw.encode_utf16().count();
    if units > MAX_TEXT_UNITS {
        return Err(ApiError::invalid(
            field,
            format!("is {units} UTF-16 units long; the most is {MAX_TEXT_UNITS} (255 parts)"),
        ));
    }
    Ok(raw.to_string())
}

/// An optional short label (campaign, idempotency key): blank → `None`, at most 128 chars,
/// no control characters.
pub fn label(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > MAX_KEY_LEN {
        return Err(ApiError::invalid(
            field,
            format!("is longer than {MAX_KEY_LEN} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<impl std::fmt::Debug, ApiError>) -> String {
        match r {
            Err(ApiError::Invalid { field, message }) => format!("{field}: {message}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn phone_numbers_in_national_international_and_formatted_forms_are_accepted() {
        for (raw, want) in [
            ("098344484", "098344484"),
            ("+598 98 344 484", "+59898344484"),
            ("(555) 123-4567", "5551234567"),
            ("555.123.4567", "5551234567"),
            ("611", "611"),
        ] {
            assert_eq!(phone_number("to", raw).unwrap(), want);
        }
    }

    #[test]
    fn bad_phone_numbers_are_rejected_naming_the_field() {
        for raw in [
            "",
            "12",
            "abc",
            "+",
            "++123",
            "123456789012345678901",
            "12a4",
            "+1 555 CALL",
        ] {
            assert!(msg(phone_number("to", raw)).starts_with("to: "), "{raw:?}");
        }
    }

    #[test]
    fn a_huge_bad_phone_number_is_refused_without_being_quoted_back() {
        let raw = "x".repeat(1_000_000);
        assert_eq!(
            msg(phone_number("to", &raw)),
            "to: is not a phone number (1000000 characters; optional '+' then 3 to 20 digits)"
        );
    }

    #[test]
    fn any_unicode_text_is_accepted_up_to_255_ucs2_parts() {
        assert!(text("text", "héllo 👋 ´‘“@ émoji").is_ok());
        assert!(text("text", &"a".repeat(MAX_TEXT_UNITS)).is_ok());
        assert_eq!(
            msg(text("text", &"a".repeat(MAX_TEXT_UNITS + 1))),
            "text: is 17086 UTF-16 units long; the most is 17085 (255 parts)"
        );
        // an emoji is two UTF-16 units
        assert!(text("text", &"👋".repeat(MAX_TEXT_UNITS / 2 + 1)).is_err());
    }

    #[test]
    fn a_blank_text_is_rejected() {
        assert_eq!(msg(text("message", "  \n")), "message: must not be empty");
    }

    #[test]
    fn labels_are_trimmed_optional_and_bounded() {
        assert_eq!(
            label("campaign", Some("  promo ")).unwrap().as_deref(),
            Some("promo")
        );
        assert_eq!(label("campaign", Some("   ")).unwrap(), None);
        assert_eq!(label("campaign", None).unwrap(), None);
        assert!(
            msg(label("idempotency_key", Some(&"k".repeat(129))))
                .starts_with("idempotency_key: is longer")
        );
        assert!(msg(label("campaign", Some("a\u{7}b"))).starts_with("campaign: must not contain"));
    }
}
