//! Checks on the shape of the workspace itself: the dependency direction between
//! crates (read from `cargo metadata`), the `//!` opening of every Rust file, and the
//! README's settings table against the node's [`SETTINGS`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use companyos::config::SETTINGS;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cluster/ has a parent")
        .to_owned()
}

/// Which workspace crates each crate may depend on (DESIGN.md, "Dependency direction").
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    const ALL: &[&str] = &[
        "companyos-store",
        "companyos-integrations",
        "companyos-actors",
        "companyos-supervisors",
        "companyos-api",
    ];
    BTreeMap::from([
        ("companyos-store", &[][..]),
        // The vendors are named in the store's vocabulary (`Service`, ids): one enum.
        ("companyos-integrations", &["companyos-store"][..]),
        (
            "companyos-actors",
            &["companyos-store", "companyos-integrations"][..],
        ),
        (
            "companyos-supervisors",
            &[
                "companyos-actors",
                "companyos-integrations",
                "companyos-store",
            ][..],
        ),
        (
            "companyos-api",
            &[
                "companyos-supervisors",
                "companyos-integrations",
                "companyos-store",
            ][..],
        ),
        ("companyos", ALL),
        ("companyos-benches", ALL),
    ])
}

/// Every `(crate, workspace dependency)` edge that the rules forbid. A crate may name
/// itself (a dev-dependency that turns on its own test features).
fn violations(metadata: &serde_json::Value) -> Vec<String> {
    let rules = allowed();
    let packages = metadata["packages"].as_array().expect("packages");
    let names: Vec<&str> = packages
        .iter()
        .filter_map(|package| package["name"].as_str())
        .collect();
    let mut found = Vec::new();
    for package in packages {
        let name = package["name"].as_str().expect("name");
        let Some(allowed) = rules.get(name) else {
            found.push(format!(
                "{name} is a workspace crate with no dependency rule"
            ));
            continue;
        };
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let dependency_name = dependency["name"].as_str().expect("dependency name");
            if dependency_name == name || !names.contains(&dependency_name) {
                continue;
            }
            if !allowed.contains(&dependency_name) {
                let kind = dependency["kind"].as_str().unwrap_or("normal");
                found.push(format!("{name} depends on {dependency_name} ({kind})"));
            }
        }
    }
    found
}

fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn crates_depend_only_in_the_allowed_direction() {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().expect("packages").len();
    assert_eq!(
        packages,
        allowed().len(),
        "every workspace crate has a rule, and every rule a crate"
    );
    let found = violations(&metadata);
    assert!(
        found.is_empty(),
        "forbidden dependencies:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_dependency_check_catches_a_forbidden_edge() {
    let mut metadata = metadata();
    // Make store depend on api, as a careless change might.
    let packages = metadata["packages"].as_array_mut().expect("packages");
    let store = packages
        .iter_mut()
        .find(|package| package["name"] == "companyos-store")
        .expect("store");
    store["dependencies"]
        .as_array_mut()
        .expect("dependencies")
        .push(serde_json::json!({
            "name": "companyos-api", "kind": null
        }));
    assert_eq!(
        violations(&metadata),
        vec!["companyos-store depends on companyos-api (normal)".to_owned()]
    );
}

fn rust_files(directory: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_module_comment() {
    let root = workspace_root();
    let mut files = Vec::new();
    for directory in ["crates", "cluster", "benches"] {
        rust_files(&root.join(directory), &mut files);
    }
    assert!(files.len() > 20, "found only {} files", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|path| !std::fs::read_to_string(path).is_ok_and(|text| text.starts_with("//!")))
        .map(|path| {
            path.strip_prefix(&root)
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without an opening //! comment:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_library_says_what_it_must_never_import() {
    let root = workspace_root();
    for krate in ["store", "integrations", "actors", "supervisors", "api"] {
        let lib = std::fs::read_to_string(root.join("crates").join(krate).join("src/lib.rs"))
            .expect("lib.rs");
        assert!(
            lib.contains("Must never import"),
            "crates/{krate}/src/lib.rs does not state what it must never import"
        );
        let manifest = std::fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml"))
            .expect("Cargo.toml");
        let rule = manifest
            .split("[dependencies]")
            .nth(1)
            .and_then(|rest| rest.lines().nth(1))
            .unwrap_or_default();
        assert!(
            rule.starts_with('#'),
            "crates/{krate}/Cargo.toml: the dependency rule belongs on the first line under [dependencies]"
        );
    }
}

#[test]
fn the_readme_lists_every_setting_with_its_default() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    for setting in SETTINGS {
        let row = readme
            .lines()
            .find(|line| line.starts_with('|') && line.contains(&format!("`{}`", setting.env)))
            .unwrap_or_else(|| panic!("README.md has no settings row for {}", setting.env));
        assert!(
            row.contains(&format!("`{}`", setting.key)),
            "README row for {} lacks the key {}",
            setting.env,
            setting.key
        );
        let default = if setting.default.is_empty() {
            "(empty)".to_owned()
        } else {
            format!("`{}`", setting.default)
        };
        assert!(
            row.contains(&default),
            "README row for {} lacks its default {default}",
            setting.env
        );
    }
}

/// The files a build, a test or a bench reads paths from: sources, scripts, manifests
/// and the CI entry. Generated and installed trees are not the project's words.
fn project_files(directory: &Path, into: &mut Vec<PathBuf>) {
    // `build_log_corpus` holds build logs quoted from public issues: data, not paths read.
    const SKIPPED: &[&str] = &[
        "target",
        "node_modules",
        "dist",
        ".git",
        "data",
        "fixtures",
        "build_log_corpus",
    ];
    const READ: &[&str] = &[
        "rs", "toml", "sh", "py", "js", "mjs", "cjs", "ts", "tsx", "json", "yaml", "yml",
    ];
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !SKIPPED.iter().any(|skipped| name == *skipped) {
                project_files(&path, into);
            }
        } else if path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| READ.contains(&extension))
            || name == "run"
        {
            into.push(path);
        }
    }
}

/// Relative paths in `text` that climb out of `root` when read from any of `bases` (a
/// file's own folder, and its crate's manifest folder, which `CARGO_MANIFEST_DIR` names).
fn escaping_paths(text: &str, bases: &[PathBuf], root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices("../") {
        // Only the start of a run of `../`, and only where a path can begin.
        if start >= 1 && text[..start].ends_with("../") {
            continue;
        }
        let before = text[..start].chars().next_back();
        if before.is_some_and(|character| character.is_alphanumeric() || character == '.') {
            continue;
        }
        let path: String = text[start..]
            .chars()
            .take_while(|character| {
                character.is_alphanumeric() || matches!(character, '.' | '/' | '_' | '-')
            })
            .collect();
        for base in bases {
            let mut resolved = base.clone();
            let mut escaped = false;
            for part in path.split('/') {
                match part {
                    ".." => {
                        if !resolved.pop() || !resolved.starts_with(root) {
                            escaped = true;
                            break;
                        }
                    }
                    "" | "." => {}
                    name => resolved.push(name),
                }
            }
            if escaped {
                found.push(path.clone());
                break;
            }
        }
    }
    found
}

#[test]
fn no_source_script_or_manifest_reads_outside_the_repository() {
    let root = workspace_root();
    let mut files = Vec::new();
    project_files(&root, &mut files);
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut outside = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let folder = file.parent().expect("a file has a folder").to_owned();
        let mut bases = vec![folder.clone()];
        // Rust sources join paths to their crate's folder (`CARGO_MANIFEST_DIR`).
        if file.extension().is_some_and(|extension| extension == "rs")
            && let Some(manifest) = folder
                .ancestors()
                .find(|ancestor| ancestor.join("Cargo.toml").exists())
        {
            bases.push(manifest.to_owned());
        }
        for path in escaping_paths(&text, &bases, &root) {
            let relative = file
                .strip_prefix(&root)
                .unwrap_or(file)
                .display()
                .to_string();
            outside.push(format!("{relative}: {path}"));
        }
        // Absolute paths into a machine's own folders (written without their leading
        // slash here, so that this file does not match itself).
        for absolute in ["work/", "home/", "root/"] {
            if text.contains(&format!("\"/{absolute}")) {
                let relative = file
                    .strip_prefix(&root)
                    .unwrap_or(file)
                    .display()
                    .to_string();
                outside.push(format!("{relative}: an absolute path under /{absolute}"));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "paths that leave the repository (the project carries what it reads, under fixtures/):\n  {}",
        outside.join("\n  ")
    );
}

#[test]
fn the_escape_check_catches_a_sibling_folder() {
    let root = PathBuf::from("/repo");
    let crate_tests = vec![
        PathBuf::from("/repo/crates/api/tests"),
        PathBuf::from("/repo/crates/api"),
    ];
    // Spelled at run time, so that this file does not trip the check itself.
    let sibling = format!("{}/shared/fixtures", ["..", "..", ".."].join("/"));
    assert_eq!(
        escaping_paths(&format!("join(\"{sibling}\")"), &crate_tests, &root),
        vec![sibling]
    );
    let inside = format!("{}/fixtures/github", ["..", ".."].join("/"));
    assert!(escaping_paths(&format!("join(\"{inside}\")"), &crate_tests, &root).is_empty());
    assert!(
        escaping_paths(
            "cd \"$(dirname \"$0\")/..\"",
            &[PathBuf::from("/repo/scripts")],
            &root
        )
        .is_empty()
    );
}
