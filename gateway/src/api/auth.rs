//! Reading `Authorization` headers. The auth scheme is case-insensitive (RFC 9110 §11.1):
//! `Bearer`, `bearer` and `BEARER` are the same scheme.

/// The credentials after `scheme` in an `Authorization` value (`"bearer  abc "` → `"abc"` for
/// scheme `Bearer`), or `None` for another scheme or no credentials.
pub fn credentials<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.trim().split_once([' ', '\t'])?;
    let rest = rest.trim();
    (given.eq_ignore_ascii_case(scheme) && !rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::credentials;

    #[test]
    fn the_scheme_is_read_in_any_case_and_the_credentials_trimmed() {
        for v in ["Bearer abc", "bearer abc", "BEARER   abc ", " bEaReR\tabc"] {
            assert_eq!(credentials(v, "Bearer"), Some("abc"), "{v:?}");
        }
        for v in ["Basic abc", "Bearer", "Bearer   ", "Bearerabc", ""] {
            assert_eq!(credentials(v, "Bearer"), None, "{v:?}");
        }
        assert_eq!(
            credentials("basic dXNlcjpwdw==", "Basic"),
            Some("dXNlcjpwdw==")
        );
    }
}
