//! Build-script side: builds one app of the `web/` npm workspace and writes its asset table.
//!
//! Call [`app`] from the app crate's `build.rs` (the crate lives in `web/<app>/`, beside the
//! app's `package.json`). It:
//! 1. tells cargo to rerun only when the app's or the shared sources, or the lock file, change;
//! 2. takes an exclusive lock on `web/.npm-build.lock`, so two app crates built at once (the
//!    portal and the box UI in one `cargo build`) never run npm in the same tree together;
//! 3. runs `npm ci` when `node_modules` is missing or older than `package-lock.json`;
//! 4. runs `npm run build -w <app>` with `SMSGATE_WEB_OUT_DIR=$OUT_DIR/dist` (the type check of
//!    the generated API types is part of that script, so a changed endpoint fails the build);
//! 5. gzips what compresses and writes `$OUT_DIR/assets.rs`: `pub static ASSETS: &[Asset]`.
//!
//! Node.js and npm must be installed; without them the build stops with an error saying how to
//! install them.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// Builds `web/<name>` and writes its asset table. Panics (failing the build) with a clear
/// message on any problem.
pub fn app(name: &str) {
    if let Err(e) = try_app(name) {
        panic!("\n\nbuilding the {name} front end failed:\n{e}\n");
    }
}

fn env_path(var: &str) -> Result<PathBuf, String> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .ok_or_else(|| format!("{var} is not set (not running in a build script?)"))
}

fn try_app(name: &str) -> Result<(), String> {
    let crate_dir = env_path("CARGO_MANIFEST_DIR")?;
    let web = crate_dir
        .parent()
        .ok_or("the app crate must live in web/<app>/")?
        .to_path_buf();
    let out = env_path("OUT_DIR")?;
    watch(&web, name);
    let dist = out.join("dist");

    let npm = npm_program();
    check_npm(&npm)?;
    {
        let lock_path = web.join(".npm-build.lock");
        let lock = File::create(&lock_path)
            .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
        lock.lock()
            .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
        if needs_install(&web) {
            run(
                Command::new(&npm)
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(&web),
                "npm ci",
            )?;
        }
        if dist.exists() {
            fs::remove_dir_all(&dist).map_err(|e| format!("cleaning {}: {e}", dist.display()))?;
        }
        run(
            Command::new(&npm)
                .args(["run", "build", "-w", name])
                .env("SMSGATE_WEB_OUT_DIR", &dist)
                .current_dir(&web),
            &format!("npm run build -w {name}"),
        )?;
        // The lock is released when `lock` drops here.
    }
    write_table(&dist, &out.join("assets.rs"))
}

fn npm_program() -> String {
    std::env::var("NPM").unwrap_or_else(|_| "npm".to_owned())
}

fn check_npm(npm: &str) -> Result<(), String> {
    let missing = || {
        format!(
            "`{npm}` was not found. The web front ends are built with Node.js (>= 20.19) and npm: \
             run scripts/test-all (it installs them) or `apt-get install nodejs npm`."
        )
    };
    match Command::new(npm).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(_) | Err(_) => Err(missing()),
    }
}

/// Reruns the build script when any input of the app changes (never on its own outputs).
fn watch(web: &Path, name: &str) {
    println!("cargo:rerun-if-env-changed=NPM");
    let inputs = [
        web.join("package.json"),
        web.join("package-lock.json"),
        web.join("tsconfig.base.json"),
        web.join("shared/package.json"),
        web.join("shared/src"),
        web.join(name).join("package.json"),
        web.join(name).join("tsconfig.json"),
        web.join(name).join("vite.config.ts"),
        web.join(name).join("index.html"),
        web.join(name).join("src"),
        web.join(name).join("public"),
    ];
    for p in inputs.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn needs_install(web: &Path) -> bool {
    let installed = modified(&web.join("node_modules/.package-lock.json"));
    let wanted = modified(&web.join("package-lock.json"));
    match (installed, wanted) {
        (Some(i), Some(w)) => i < w,
        _ => true,
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    // Never let a dependency fetch a browser of its own (the tests use the system Chromium).
    cmd.env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for e in entries {
        let p = e.map_err(|e| e.to_string())?.path();
        if p.is_dir() {
            files(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.contains("javascript")
        || content_type.contains("json")
        || content_type.contains("svg")
        || content_type.contains("xml")
        || content_type.contains("wasm")
        || content_type.contains("manifest")
}

fn content_type(p: &Path) -> String {
    match p.extension().and_then(|e| e.to_str()) {
        // mime_guess does not know the web app manifest extension.
        Some("webmanifest") => "application/manifest+json".to_owned(),
        _ => {
            let m = mime_guess::from_path(p).first_or_octet_stream();
            let s = m.essence_str().to_owned();
            if s.starts_with("text/") || s == "application/javascript" || s == "application/json" {
                format!("{s}; charset=utf-8")
            } else {
                s
            }
        }
    }
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).map_err(|e| e.to_string())?;
    enc.finish().map_err(|e| e.to_string())
}

fn write_table(dist: &Path, target: &Path) -> Result<(), String> {
    let mut list = Vec::new();
    files(dist, &mut list)?;
    list.sort();
    if !list.iter().any(|p| p.ends_with("index.html")) {
        return Err(format!("{} holds no index.html", dist.display()));
    }
    let gz_dir = dist.with_file_name("gz");
    let _ = fs::remove_dir_all(&gz_dir);
    let mut code = String::from(
        "/// Generated by smsgate_web_embed::build.\npub static ASSETS: &[::smsgate_web_embed::Asset] = &[\n",
    );
    for p in &list {
        let rel = p
            .strip_prefix(dist)
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = fs::read(p).map_err(|e| format!("reading {}: {e}", p.display()))?;
        let ct = content_type(p);
        let digest = Sha256::digest(&bytes);
        let etag = format!("\"{}\"", hex16(&digest));
        let (stored, file) = if compressible(&ct) {
            let gz = gzip(&bytes)?;
            if gz.len() * 10 < bytes.len() * 9 {
                let f = gz_dir.join(format!("{rel}.gz"));
                if let Some(parent) = f.parent() {
                    fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                fs::write(&f, gz).map_err(|e| e.to_string())?;
                ("Gzip", f)
            } else {
                ("Identity", p.clone())
            }
        } else {
            ("Identity", p.clone())
        };
        let immutable = rel.starts_with("assets/");
        writeln!(
            code,
            "    ::smsgate_web_embed::Asset {{ path: {path:?}, content_type: {ct:?}, etag: {etag:?}, \
             stored: ::smsgate_web_embed::Stored::{stored}, body: include_bytes!({file:?}), immutable: {immutable} }},",
            path = format!("/{rel}"),
            file = file.display().to_string(),
        )
        .map_err(|e| e.to_string())?;
    }
    code.push_str("];\n");
    fs::write(target, code).map_err(|e| format!("writing {}: {e}", target.display()))
}

fn hex16(bytes: &[u8]) -> String {
    bytes.iter().take(16).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
