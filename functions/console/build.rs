//! Compiles every file of `console/dist/` into the function. `scripts/up` builds it first
//! (`npm run build` in `console/`); when it is missing — `sam build` on a fresh clone — this
//! builds it (npm ci, then npm run build), so a deployment never ships a console that was not
//! built. Without Node.js and npm that is a build error saying so.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `npm ci` where the lock file's packages are not installed, then the console's build (which
/// builds the client package it uses first).
fn build_console(root: &Path) {
    let npm = |dir: &Path, args: &[&str]| {
        let status = std::process::Command::new("npm")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap_or_else(|e| {
                panic!("console/dist is not built and npm cannot run ({e}): install Node.js 20+ with npm, or run scripts/up")
            });
        assert!(status.success(), "npm {args:?} in {} failed", dir.display());
    };
    for package in ["clients/js", "console"] {
        let dir = root.join(package);
        if !dir.join("node_modules").is_dir() {
            npm(&dir, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
        }
    }
    npm(&root.join("console"), &["run", "build", "--silent"]);
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = manifest.join("../../console/dist");
    if !dist.join("index.html").is_file() {
        build_console(&manifest.join("../.."));
    }
    println!("cargo:rerun-if-changed={}", dist.display());
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("../../console").display()
    );
    let mut files = Vec::new();
    files_under(&dist, &mut files);
    files.sort();
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file
            .strip_prefix(&dist)
            .expect("under dist")
            .to_string_lossy()
            .replace('\\', "/");
        let absolute = std::fs::canonicalize(file).expect("a readable file");
        writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("files.rs");
    std::fs::write(out, code).expect("writing files.rs");
}
