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
        ("companyos-integrations", &[][..]),
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
