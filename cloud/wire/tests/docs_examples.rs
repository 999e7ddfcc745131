//! `docs/mqtt.md` shows exactly the examples the code produces, and every JSON block in it
//! decodes as the payload of the topic printed above it.

use smsgate_wire::{Down, State, Topic, TopicKind, Up};

const BEGIN: &str = "<!-- examples:begin -->\n";
const END: &str = "<!-- examples:end -->";

fn doc_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/mqtt.md")
}

fn examples_section(doc: &str) -> &str {
    let start = doc
        .find(BEGIN)
        .expect("docs/mqtt.md has the examples begin marker")
        + BEGIN.len();
    let end = doc
        .find(END)
        .expect("docs/mqtt.md has the examples end marker");
    &doc[start..end]
}

#[test]
fn the_mqtt_document_shows_exactly_the_examples_of_the_code() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).expect("docs/mqtt.md is readable");
    let generated = smsgate_wire::examples::markdown();
    if std::env::var_os("SMSGATE_BLESS").is_some() {
        let start = doc.find(BEGIN).expect("begin marker") + BEGIN.len();
        let end = doc.find(END).expect("end marker");
        let new = format!("{}{}{}", &doc[..start], generated, &doc[end..]);
        std::fs::write(&path, new).expect("write docs/mqtt.md");
        return;
    }
    assert_eq!(
        examples_section(&doc),
        generated,
        "docs/mqtt.md is stale: run `SMSGATE_BLESS=1 cargo test -p smsgate-wire --test docs_examples`"
    );
}

#[test]
fn every_json_block_in_the_mqtt_document_decodes_for_its_topic() {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/mqtt.md is readable");
    let section = examples_section(&doc);
    let mut count = 0;
    let mut topic: Option<Topic> = None;
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if let Some(t) = line
            .strip_prefix("Topic: `")
            .and_then(|t| t.strip_suffix('`'))
        {
            topic = Some(Topic::parse(t).expect("documented topic parses"));
        }
        if line == "```json" {
            let mut json = String::new();
            for l in lines.by_ref() {
                if l == "```" {
                    break;
                }
                json.push_str(l);
                json.push('\n');
            }
            let t = topic.take().expect("every JSON block follows a Topic line");
            match &t.kind {
                TopicKind::State => {
                    State::decode(json.as_bytes()).expect("state example decodes");
                }
                TopicKind::Up(k) => {
                    let up = Up::decode(k, json.as_bytes()).expect("up example decodes");
                    assert_eq!(&up.kind(), k);
                }
                TopicKind::Down(k) => {
                    let d = Down::decode(k, json.as_bytes()).expect("down example decodes");
                    assert_eq!(&d.kind(), k);
                }
            }
            count += 1;
        }
    }
    assert_eq!(count, smsgate_wire::examples::all().len());
}
