//! Link options of the gateway's binaries (`smsgate-gateway`).
//!
//! **Relative relocations are packed** (`-z pack-relative-relocs`, DT_RELR): a PIE binary
//! carries one 24-byte entry per pointer in its static data (vtables, `&str` in tables…), read
//! once by the dynamic loader at start and then left in memory: 67,000 entries, 1.6 MB of the
//! file and of the running gateway's RSS (docs/benchmarks.md, box UI). DT_RELR stores them as
//! a bitmap of a few KB; the binary stays position-independent (ASLR unchanged). It needs
//! GNU ld 2.38 / lld 15 / mold to link (an older ld ignores the option with a warning) and
//! glibc 2.36 to run: the binary then requires the `GLIBC_ABI_DT_RELR` version, so an older
//! glibc refuses it at start by name, and a dynamic build's libc6 dependency says so. The
//! packaged edge binary is a static PIE (`scripts/package`, `crt-static`): it carries its glibc
//! and applies its own packed relocations at start.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
