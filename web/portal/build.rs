//! Builds the portal with npm (see `smsgate_web_embed::build`).
fn main() {
    smsgate_web_embed::build::app("portal");
}
