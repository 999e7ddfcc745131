//! Property tests: any well-formed dial string parses to exactly its expansion, and the parser
//! never panics on arbitrary input.

use proptest::prelude::*;
use smsgate_config::{PortSpecError, parse_port_spec};

#[derive(Debug, Clone)]
enum Item {
    One(u16),
    Range(u16, u16),
    Cycle(u16, u16),
}

fn render(items: &[Item]) -> (String, Vec<u16>) {
    let mut text = Vec::new();
    let mut ports = Vec::new();
    for it in items {
        match *it {
            Item::One(p) => {
                text.push(p.to_string());
                ports.push(p);
            }
            Item::Range(a, b) => {
                text.push(format!("{a}-{b}"));
                ports.extend(a..=b);
            }
            Item::Cycle(a, b) => {
                text.push(format!("({a}.{b})"));
                ports.extend(a..=b);
            }
        }
    }
    (text.join(","), ports)
}

/// Disjoint items in increasing blocks so no port repeats.
fn items() -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec((0u16..3, 0u16..6, 1u16..4), 1..8).prop_map(|specs| {
        let mut next = 0u16;
        specs
            .into_iter()
            .map(|(kind, len, gap)| {
                let a = next + gap - 1;
                let b = a + len;
                next = b + 1;
                match kind {
                    0 => Item::One(a),
                    1 => Item::Range(a, b),
                    _ => Item::Cycle(a, b),
                }
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn a_well_formed_list_expands_to_exactly_its_ports(items in items()) {
        let (text, ports) = render(&items);
        let spec = parse_port_spec(&text).unwrap();
        prop_assert_eq!(spec.ports(), ports.as_slice());
        prop_assert_eq!(spec.as_str(), text.as_str());
    }

    #[test]
    fn repeating_any_port_of_a_list_is_reported_as_a_duplicate(items in items(), pick in any::<prop::sample::Index>()) {
        let (text, ports) = render(&items);
        let dup = ports[pick.index(ports.len())];
        let err = parse_port_spec(&format!("{text},{dup}")).unwrap_err();
        prop_assert_eq!(err, PortSpecError::Duplicate { port: dup });
    }

    #[test]
    fn arbitrary_text_never_panics_and_errors_point_inside_the_input(s in "[0-9(),. \\-x]{0,24}") {
        match parse_port_spec(&s) {
            Ok(spec) => prop_assert!(!spec.ports().is_empty()),
            Err(PortSpecError::Expected { column, .. })
            | Err(PortSpecError::TooLarge { column, .. })
            | Err(PortSpecError::Reversed { column, .. }) => {
                prop_assert!(column >= 1 && column <= s.chars().count() + 1);
            }
            Err(PortSpecError::Empty) => prop_assert!(s.trim().is_empty()),
            Err(PortSpecError::Duplicate { .. }) => {}
        }
    }
}
