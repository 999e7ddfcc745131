//! Message templates: `{{column}}` placeholders (spaces inside the braces allowed, names
//! compared without case) filled from a recipient's row. Anything else, single braces
//! included, is text.

use std::collections::BTreeMap;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(String),
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        let name = rest[open + 2..open + 2 + close].trim();
        if name.is_empty() || name.contains('{') {
            out.push(Piece::Text(&rest[..open + 2]));
            rest = &rest[open + 2..];
            continue;
        }
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        out.push(Piece::Var(name.to_lowercase()));
        rest = &rest[open + 2 + close + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// The placeholder names a template uses (lower case, first use order, each once).
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in pieces(template) {
        if let Piece::Var(n) = p
            && !names.contains(&n)
        {
            names.push(n);
        }
    }
    names
}

/// A column name as placeholders refer to it.
pub fn column_key(header: &str) -> String {
    header.trim().to_lowercase()
}

/// Renders the template with a row's values (keys as [`column_key`]); `Err` names the first
/// placeholder with no value or an empty one.
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 32);
    for p in pieces(template) {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(n) => match vars.get(&n).map(|v| v.trim()) {
                Some(v) if !v.is_empty() => out.push_str(v),
                _ => return Err(n),
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn placeholders_are_filled_from_the_row_whatever_their_case_and_spacing() {
        let t = "Hello {{ First_Name }}, your code is {{code}} {x} {{}} {{code}}";
        assert_eq!(placeholders(t), vec!["first_name", "code"]);
        let out = render(t, &vars(&[("first_name", "Zoé"), ("code", "42")])).unwrap();
        assert_eq!(out, "Hello Zoé, your code is 42 {x} {{}} 42");
    }

    #[test]
    fn a_missing_or_empty_value_names_its_placeholder() {
        let t = "Hi {{name}} {{city}}";
        assert_eq!(render(t, &vars(&[("name", "A")])), Err("city".into()));
        assert_eq!(
            render(t, &vars(&[("name", " "), ("city", "B")])),
            Err("name".into())
        );
    }

    #[test]
    fn text_without_placeholders_and_unclosed_braces_stay_as_written() {
        assert_eq!(render("plain {{open", &vars(&[])).unwrap(), "plain {{open");
        assert!(placeholders("plain {{open").is_empty());
    }
}
