//! Builds the console (`web/`, with npm) when its build is missing or older than its
//! sources, and embeds `web/dist` in the binary: `cargo run -- serve` on a fresh clone
//! serves the console without another step. Without npm, or with
//! `COMPANYOS_SKIP_CONSOLE_BUILD=1`, nothing is built and whatever `web/dist` holds is
//! embedded (the node then says how to build the console when there is nothing).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let web = manifest.join("../../web");
    let dist = web.join("dist");
    for watched in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "public",
        "dist",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=COMPANYOS_SKIP_CONSOLE_BUILD");

    let skip = std::env::var("COMPANYOS_SKIP_CONSOLE_BUILD").is_ok_and(|value| value == "1");
    if !skip && web.join("package.json").exists() && stale(&web, &dist) {
        build_console(&web);
    }

    // A snapshot of web/dist is embedded, so that a console rebuilt while the node
    // compiles cannot leave the table naming files that are gone.
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let snapshot = out.join("console");
    if snapshot.exists() {
        std::fs::remove_dir_all(&snapshot).expect("clear the console snapshot");
    }
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let mut table = String::from("/// The console's files, by path under `web/dist`.\n");
    table.push_str("pub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (relative, source) in &files {
        let copy = snapshot.join(relative);
        if let Some(parent) = copy.parent() {
            std::fs::create_dir_all(parent).expect("create the console snapshot");
        }
        // A file removed since it was listed is left out.
        if std::fs::copy(source, &copy).is_err() {
            continue;
        }
        table.push_str(&format!(
            "    ({relative:?}, include_bytes!({:?})),\n",
            copy.display().to_string()
        ));
    }
    table.push_str("];\n");
    std::fs::write(out.join("console_assets.rs"), table).expect("write the asset table");
}

/// Whether the console's build is missing or older than a source file.
fn stale(web: &Path, dist: &Path) -> bool {
    let Some(built) = modified(&dist.join("index.html")) else {
        return true;
    };
    let mut newest = SystemTime::UNIX_EPOCH;
    for source in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
    ] {
        newest = newest.max(newest_in(&web.join(source)));
    }
    newest > built
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
}

fn newest_in(path: &Path) -> SystemTime {
    let own = modified(path).unwrap_or(SystemTime::UNIX_EPOCH);
    let Ok(entries) = std::fs::read_dir(path) else {
        return own;
    };
    entries
        .flatten()
        .map(|entry| newest_in(&entry.path()))
        .fold(own, SystemTime::max)
}

fn build_console(web: &Path) {
    let npm = |args: &[&str]| {
        Command::new("npm")
            .args(args)
            .current_dir(web)
            .status()
            .map(|status| status.success())
    };
    let failed = || {
        println!(
            "cargo:warning=the console (web/) did not build; the node serves what web/dist holds. Build it with: npm ci --prefix web && npm run build --prefix web"
        );
    };
    let missing = || {
        println!(
            "cargo:warning=npm is not installed, so the console (web/) was not built; install Node.js 20+ to serve it"
        );
    };
    if !web.join("node_modules").exists() {
        match npm(&["ci", "--no-audit", "--no-fund", "--silent"]) {
            Ok(true) => {}
            Ok(false) => return failed(),
            Err(_) => return missing(),
        }
    }
    match npm(&["run", "build", "--silent"]) {
        Ok(true) => {}
        Ok(false) => failed(),
        Err(_) => missing(),
    }
}

fn collect(root: &Path, directory: &Path, into: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, into);
        } else if path.extension().is_none_or(|extension| extension != "map") {
            let relative = path
                .strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            into.push((relative, path));
        }
    }
}
