//! Builds the box UI with npm (see `smsgate_web_embed::build`).
fn main() {
    smsgate_web_embed::build::app("box");
}
