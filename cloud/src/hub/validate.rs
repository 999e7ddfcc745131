//! Input rules shared by the domains: required names, logins, free text with length limits,
//! message text, passwords, country codes.

use super::error::{HubError, invalid};

/// Longest name (organisations, users, queues, lists, keys, gateways).
pub const MAX_NAME: usize = 200;
/// Longest description or note.
pub const MAX_NOTE: usize = 2000;
/// Longest login.
pub const MAX_LOGIN: usize = 100;
/// Shortest and longest password (checked before hashing).
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;
/// Longest e-mail address (RFC 5321).
pub const MAX_EMAIL: usize = 254;
/// Longest idempotency key or campaign name (as the gateway).
pub const MAX_LABEL: usize = 128;

pub(crate) fn non_empty(field: &str, s: &str) -> Result<String, HubError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    bounded(field, t, MAX_NAME)
}

/// Optional free text: trimmed, at most `max` characters.
pub(crate) fn bounded(field: &str, s: &str, max: usize) -> Result<String, HubError> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    Ok(t.to_owned())
}

pub(crate) fn valid_login(s: &str) -> Result<String, HubError> {
    let t = non_empty("login", s)?;
    if t.chars().count() > MAX_LOGIN {
        return Err(invalid(
            "login",
            format!("must be at most {MAX_LOGIN} characters"),
        ));
    }
    if t.chars().any(char::is_whitespace) {
        return Err(invalid("login", "must not contain spaces"));
    }
    Ok(t.to_lowercase())
}

pub(crate) fn valid_password(field: &str, p: &str) -> Result<(), HubError> {
    let n = p.chars().count();
    if n < MIN_PASSWORD {
        return Err(invalid(
            field,
            format!("must be at least {MIN_PASSWORD} characters"),
        ));
    }
    if n > MAX_PASSWORD || p.len() > 4 * MAX_PASSWORD {
        return Err(invalid(
            field,
            format!("must be at most {MAX_PASSWORD} characters"),
        ));
    }
    Ok(())
}

pub(crate) fn valid_text(s: &str) -> Result<String, HubError> {
    if s.trim().is_empty() {
        return Err(invalid("text", "must not be empty"));
    }
    let max = super::MAX_TEXT;
    if s.chars().count() > max {
        return Err(invalid("text", format!("must be at most {max} characters")));
    }
    Ok(s.to_owned())
}

pub(crate) fn valid_email(field: &str, s: &str) -> Result<String, HubError> {
    let t = bounded(field, s, MAX_EMAIL)?;
    if !t.is_empty() && !email_address::EmailAddress::is_valid(&t) {
        return Err(invalid(field, format!("{t:?} is not an e-mail address")));
    }
    Ok(t)
}

pub(crate) fn optional_country(field: &str, c: Option<&str>) -> Result<Option<String>, HubError> {
    match c.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => crate::phone::valid_country(c).map(Some).ok_or_else(|| {
            invalid(
                field,
                format!("{c:?} is not an ISO 3166 country code (FR, GB, US…)"),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_password_is_refused_before_hashing() {
        assert!(valid_password("password", &"x".repeat(1_000_000)).is_err());
        assert!(valid_password("password", "short").is_err());
        assert!(valid_password("password", "long enough").is_ok());
    }

    #[test]
    fn free_text_is_bounded_and_emails_are_checked() {
        assert!(bounded("notes", &"n".repeat(MAX_NOTE + 1), MAX_NOTE).is_err());
        assert!(valid_email("email", "bob@example.com").is_ok());
        assert!(valid_email("email", "").is_ok());
        let err = valid_email("email", "bob at example")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("email:"), "{err}");
        assert!(optional_country("country", Some("zz")).is_err());
        assert_eq!(
            optional_country("country", Some("fr")).unwrap().as_deref(),
            Some("FR")
        );
    }
}
