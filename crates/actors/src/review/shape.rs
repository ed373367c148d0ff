//! The shape of a pull request as a whole: its size (lines and files, in a size
//! bucket), source changed without tests (category `tests`), and dependency manifests
//! and lockfiles (category `dependencies`): dependencies added, dependencies from git or
//! without a version, a manifest changed without its lockfile or the reverse.
//!
//! Generated and vendored files and lockfiles do not count towards the size.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::diff::{PatchLineKind, patch_lines};
use super::paths::{self, Ecosystem};
use super::{Category, ChangedFile, FileStatus, Finding, Severity};

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this module, checked by `every_pattern_compiles`.
    Regex::new(pattern).unwrap_or_else(|error| panic!("shape rule pattern: {error}"))
}

/// Reviewable lines changed (added + removed) at which a change is large.
pub const LARGE_CHANGE_LINES: u32 = 500;
/// Reviewable lines changed at which a change is extra large.
pub const EXTRA_LARGE_CHANGE_LINES: u32 = 1000;
/// Files touched at which a change touches many files.
pub const MANY_FILES: usize = 50;
/// Source lines added without any test change at which tests are asked for.
pub const UNTESTED_SOURCE_LINES: u32 = 20;
/// Source lines added without any test change at which the finding becomes `medium`.
pub const UNTESTED_SOURCE_LINES_MEDIUM: u32 = 200;

/// The size of a change, by reviewable lines changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SizeBucket {
    /// Under 10 lines.
    ExtraSmall,
    /// 10 to 99 lines.
    Small,
    /// 100 to 499 lines.
    Medium,
    /// 500 to 999 lines.
    Large,
    /// 1,000 lines or more.
    ExtraLarge,
}

impl SizeBucket {
    pub fn from_lines_changed(lines: u32) -> SizeBucket {
        match lines {
            0..10 => SizeBucket::ExtraSmall,
            10..100 => SizeBucket::Small,
            100..LARGE_CHANGE_LINES => SizeBucket::Medium,
            LARGE_CHANGE_LINES..EXTRA_LARGE_CHANGE_LINES => SizeBucket::Large,
            _ => SizeBucket::ExtraLarge,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SizeBucket::ExtraSmall => "XS",
            SizeBucket::Small => "S",
            SizeBucket::Medium => "M",
            SizeBucket::Large => "L",
            SizeBucket::ExtraLarge => "XL",
        }
    }
}

/// What the shape rules measured, and what they found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeAssessment {
    pub files_touched: usize,
    pub lines_added: u32,
    pub lines_removed: u32,
    /// Added + removed, without generated files and lockfiles.
    pub reviewable_lines_changed: u32,
    pub size_bucket: SizeBucket,
    pub findings: Vec<Finding>,
}

impl ShapeAssessment {
    /// Large enough that the pull request is at least medium risk.
    pub fn is_large(&self) -> bool {
        self.size_bucket >= SizeBucket::Large || self.files_touched >= MANY_FILES
    }
}

/// Size, tests and dependencies of the whole pull request.
pub fn assess_shape(files: &[ChangedFile]) -> ShapeAssessment {
    let lines_added = files
        .iter()
        .fold(0u32, |total, file| total.saturating_add(file.additions));
    let lines_removed = files
        .iter()
        .fold(0u32, |total, file| total.saturating_add(file.deletions));
    let reviewable_lines_changed = files
        .iter()
        .filter(|file| !paths::is_generated_or_vendored(&file.path))
        .fold(0u32, |total, file| {
            total
                .saturating_add(file.additions)
                .saturating_add(file.deletions)
        });
    let size_bucket = SizeBucket::from_lines_changed(reviewable_lines_changed);
    let mut findings = Vec::new();
    size_findings(files, reviewable_lines_changed, size_bucket, &mut findings);
    test_findings(files, &mut findings);
    dependency_findings(files, &mut findings);
    ShapeAssessment {
        files_touched: files.len(),
        lines_added,
        lines_removed,
        reviewable_lines_changed,
        size_bucket,
        findings,
    }
}

/// The path a pull-request-level finding is attached to: the file with most changes.
fn largest_file<'files>(files: impl Iterator<Item = &'files ChangedFile>) -> String {
    files
        .max_by_key(|file| file.additions.saturating_add(file.deletions))
        .map(|file| file.path.clone())
        .unwrap_or_default()
}

fn size_findings(
    files: &[ChangedFile],
    reviewable_lines_changed: u32,
    size_bucket: SizeBucket,
    findings: &mut Vec<Finding>,
) {
    if size_bucket >= SizeBucket::Large {
        let severity = if size_bucket == SizeBucket::ExtraLarge {
            Severity::Medium
        } else {
            Severity::Low
        };
        findings.push(Finding {
            path: largest_file(
                files
                    .iter()
                    .filter(|file| !paths::is_generated_or_vendored(&file.path)),
            ),
            line: None,
            category: Category::Size,
            rule: "large-change".into(),
            severity,
            message: format!(
                "{reviewable_lines_changed} reviewable lines changed (size {}): reviews \
                 miss more in large changes; split it into steps that can land on their \
                 own if you can.",
                size_bucket.as_str()
            ),
        });
    }
    if files.len() >= MANY_FILES {
        findings.push(Finding {
            path: largest_file(files.iter()),
            line: None,
            category: Category::Size,
            rule: "many-files".into(),
            severity: Severity::Low,
            message: format!(
                "{} files touched: check that the change has one purpose, and separate \
                 mechanical edits (renames, formatting) from behaviour changes.",
                files.len()
            ),
        });
    }
}

/// Rust files that carry their own unit tests.
static RUST_TEST_ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"#\[(?:cfg\(test\)|test|tokio::test|rstest|test_case|proptest|quickcheck)")
});

fn adds_inline_tests(file: &ChangedFile) -> bool {
    paths::file_kind(&file.path) == paths::FileKind::Rust
        && file.patch.as_deref().is_some_and(|patch| {
            super::diff::added_lines(patch).any(|(_, line)| RUST_TEST_ATTRIBUTE.is_match(line))
        })
}

fn test_findings(files: &[ChangedFile], findings: &mut Vec<Finding>) {
    let changes_tests = files.iter().any(|file| {
        file.status != FileStatus::Removed
            && (paths::is_test_path(&file.path) || adds_inline_tests(file))
    });
    for file in files
        .iter()
        .filter(|file| file.status == FileStatus::Removed && paths::is_test_path(&file.path))
    {
        findings.push(Finding {
            path: file.path.clone(),
            line: None,
            category: Category::Tests,
            rule: "tests-removed".into(),
            severity: Severity::Low,
            message: "A test file is deleted: make sure what it covered is covered elsewhere \
                      or is gone too."
                .into(),
        });
    }
    if changes_tests {
        return;
    }
    let source_files: Vec<&ChangedFile> = files
        .iter()
        .filter(|file| {
            file.status != FileStatus::Removed
                && file.additions > 0
                && paths::file_kind(&file.path).is_testable_source()
                && !paths::is_test_path(&file.path)
                && !paths::is_generated_or_vendored(&file.path)
                && !paths::is_migration_path(&file.path)
        })
        .collect();
    let source_lines_added = source_files
        .iter()
        .fold(0u32, |total, file| total.saturating_add(file.additions));
    if source_lines_added < UNTESTED_SOURCE_LINES {
        return;
    }
    let severity = if source_lines_added >= UNTESTED_SOURCE_LINES_MEDIUM {
        Severity::Medium
    } else {
        Severity::Low
    };
    findings.push(Finding {
        path: largest_file(source_files.iter().copied()),
        line: None,
        category: Category::Tests,
        rule: "missing-tests".into(),
        severity,
        message: format!(
            "{source_lines_added} lines of source added in {} file{} and no test changed: \
             add or update tests for the new behaviour, or say in the description why none \
             are needed.",
            source_files.len(),
            if source_files.len() == 1 { "" } else { "s" }
        ),
    });
}

/// A dependency line in a manifest: its name and version or source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyLine {
    pub name: String,
    pub requirement: String,
}

static CARGO_DEPENDENCY: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r#"^\s*(?P<name>[A-Za-z0-9_\-]+)(?P<workspace>\.workspace)?\s*=\s*(?:"(?P<version>[^"]*)"|(?P<table>\{.*\})|(?P<flag>true))\s*(?:#.*)?$"#,
    )
});

static TOML_SECTION: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^\s*\[\[?(?P<section>[^\]]+)\]\]?\s*(?:#.*)?$"));

static JSON_DEPENDENCY: LazyLock<Regex> = LazyLock::new(|| {
    compile(r#"^\s*"(?P<name>@?[A-Za-z0-9_.\-/]+)"\s*:\s*"(?P<version>[^"]*)"\s*,?\s*$"#)
});

static NPM_VERSION_SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:[\^~<>=v]*\s*\d|\*$|x$|latest$|next$|workspace:|file:|link:|git\+|git:|github:|https?:|npm:|$)",
    )
});

static GO_REQUIREMENT: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\s*(?:require\s+)?(?P<name>[a-z0-9.\-]+\.[a-z]{2,}/[^\s]+)\s+(?P<version>v[0-9][^\s]*)",
    )
});

static PYTHON_REQUIREMENT: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._\-]*(?:\[[^\]]*\])?)\s*(?P<version>(?:==|>=|<=|~=|!=|===|>|<|@)\s*[^;#]*)?\s*(?:;.*)?(?:#.*)?$",
    )
});

static PYPROJECT_DEPENDENCY: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r#"^\s*"(?P<name>[A-Za-z0-9][A-Za-z0-9._\-]*(?:\[[^\]]*\])?)\s*(?P<version>[<>=!~@][^"]*)?"\s*,?\s*$"#,
    )
});

static GEM_DEPENDENCY: LazyLock<Regex> =
    LazyLock::new(|| compile(r#"^\s*gem\s+["'](?P<name>[^"']+)["'](?:\s*,\s*(?P<version>.*))?$"#));

/// Keys of `[package]`-like Cargo and Poetry sections that are not dependencies.
const MANIFEST_NON_DEPENDENCY_KEYS: &[&str] = &[
    "name",
    "version",
    "edition",
    "rust-version",
    "license",
    "license-file",
    "description",
    "authors",
    "publish",
    "readme",
    "repository",
    "homepage",
    "documentation",
    "keywords",
    "categories",
    "build",
    "resolver",
    "members",
    "default-members",
    "exclude",
    "include",
    "path",
    "harness",
    "opt-level",
    "debug",
    "lto",
    "codegen-units",
    "panic",
    "strip",
    "incremental",
    "default",
    "python",
    "main",
    "module",
    "types",
    "typings",
    "private",
    "author",
    "node",
    "npm",
    "pnpm",
    "yarn",
    "packageManager",
    "type",
    "bin",
    "test",
    "doc",
    "bench",
    "required-features",
    "unsafe_code",
    "autobins",
    "autoexamples",
    "autotests",
    "autobenches",
    "links",
    "workspace",
    "level",
    "priority",
];

/// Dependencies named on added (`kind == Added`) or removed lines of a manifest, with
/// their new-file line numbers.
fn dependency_lines(
    ecosystem: Ecosystem,
    patch: &str,
    kind: PatchLineKind,
) -> Vec<(u32, DependencyLine)> {
    let mut found = Vec::new();
    let mut section: Option<String> = None;
    for line in patch_lines(patch) {
        if let Some(captures) = TOML_SECTION.captures(line.text) {
            section = captures
                .name("section")
                .map(|name| name.as_str().trim().to_string());
            continue;
        }
        if line.kind != kind {
            continue;
        }
        if let Some(dependency) = parse_dependency_line(ecosystem, line.text, section.as_deref()) {
            found.push((line.new_line_number, dependency));
        }
    }
    found
}

/// The dependency a manifest line declares, if it declares one.
pub fn parse_dependency_line(
    ecosystem: Ecosystem,
    line: &str,
    section: Option<&str>,
) -> Option<DependencyLine> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
        return None;
    }
    let in_dependency_section =
        section.map(|name| name.contains("dependencies") || name.contains("packages"));
    let captures = match ecosystem {
        Ecosystem::Cargo | Ecosystem::Pipenv => {
            if in_dependency_section == Some(false) {
                return None;
            }
            let captures = CARGO_DEPENDENCY.captures(line)?;
            if captures.name("flag").is_some() && captures.name("workspace").is_none() {
                return None;
            }
            captures
        }
        Ecosystem::PythonProject => {
            if let Some(captures) = PYPROJECT_DEPENDENCY.captures(line) {
                captures
            } else {
                if in_dependency_section == Some(false) {
                    return None;
                }
                CARGO_DEPENDENCY.captures(line)?
            }
        }
        Ecosystem::Npm | Ecosystem::Composer => {
            let captures = JSON_DEPENDENCY.captures(line)?;
            let version = captures
                .name("version")
                .map_or("", |version| version.as_str());
            if !NPM_VERSION_SHAPE.is_match(version) {
                return None;
            }
            captures
        }
        Ecosystem::Go => GO_REQUIREMENT.captures(line)?,
        Ecosystem::PythonRequirements => {
            if trimmed.starts_with('-') {
                return None;
            }
            if trimmed.contains("git+") || trimmed.contains("://") {
                return Some(DependencyLine {
                    name: trimmed.to_string(),
                    requirement: trimmed.to_string(),
                });
            }
            PYTHON_REQUIREMENT.captures(line)?
        }
        Ecosystem::Bundler => GEM_DEPENDENCY.captures(line)?,
    };
    let name = captures.name("name")?.as_str().to_string();
    if MANIFEST_NON_DEPENDENCY_KEYS.contains(&name.as_str()) {
        return None;
    }
    let requirement = captures
        .name("version")
        .or_else(|| captures.name("table"))
        .or_else(|| captures.name("workspace"))
        .map_or(String::new(), |requirement| {
            requirement.as_str().trim().to_string()
        });
    Some(DependencyLine { name, requirement })
}

/// From git or a URL instead of a registry.
fn is_unpinned_source(requirement: &str) -> bool {
    let lower = requirement.to_ascii_lowercase();
    lower.contains("git =")
        || lower.contains("git=")
        || lower.contains("git+")
        || lower.contains("git:")
        || lower.contains("github:")
        || lower.contains("github =")
        || lower.starts_with("http")
        || lower.contains("://")
}

/// Any version at all: `*`, `latest`, `x` or nothing.
fn is_unpinned_version(ecosystem: Ecosystem, requirement: &str) -> bool {
    let requirement = requirement.trim().trim_matches('"');
    match ecosystem {
        Ecosystem::Npm | Ecosystem::Composer => {
            matches!(requirement, "" | "*" | "x" | "latest" | "next")
        }
        Ecosystem::Cargo | Ecosystem::Pipenv => requirement == "*",
        _ => false,
    }
}

fn dependency_findings(files: &[ChangedFile], findings: &mut Vec<Finding>) {
    let changed_names: BTreeSet<&str> = files
        .iter()
        .map(|file| paths::file_name(&file.path))
        .collect();
    let mut manifest_ecosystems: Vec<Ecosystem> = Vec::new();
    for file in files {
        let Some(ecosystem) = paths::manifest_ecosystem(&file.path) else {
            continue;
        };
        if file.status == FileStatus::Removed {
            continue;
        }
        manifest_ecosystems.push(ecosystem);
        let Some(patch) = file.patch.as_deref() else {
            continue;
        };
        let added = dependency_lines(ecosystem, patch, PatchLineKind::Added);
        let removed = dependency_lines(ecosystem, patch, PatchLineKind::Removed);
        let removed_names: BTreeSet<&str> = removed
            .iter()
            .map(|(_, dependency)| dependency.name.as_str())
            .collect();
        for (line, dependency) in &added {
            let (rule, severity, message) = if is_unpinned_source(&dependency.requirement) {
                (
                    "dependency-unpinned-source",
                    Severity::Low,
                    format!(
                        "`{}` comes from git or a URL instead of the registry: pin a commit \
                         or tag, and move to a published release when there is one.",
                        dependency.name
                    ),
                )
            } else if is_unpinned_version(ecosystem, &dependency.requirement) {
                (
                    "dependency-unpinned-version",
                    Severity::Low,
                    format!(
                        "`{}` accepts any version (`{}`): builds are not reproducible and \
                         a breaking or malicious release is picked up silently. Give a \
                         version range.",
                        dependency.name,
                        if dependency.requirement.is_empty() {
                            "*"
                        } else {
                            &dependency.requirement
                        }
                    ),
                )
            } else if removed_names.contains(dependency.name.as_str()) {
                (
                    "dependency-changed",
                    Severity::Info,
                    format!(
                        "`{}` changes to `{}`: read its changelog for breaking changes.",
                        dependency.name, dependency.requirement
                    ),
                )
            } else {
                (
                    "dependency-added",
                    Severity::Info,
                    format!(
                        "New dependency `{}`{}: check that it is maintained, its licence \
                         fits, and that it is worth what it adds to the build.",
                        dependency.name,
                        if dependency.requirement.is_empty() {
                            String::new()
                        } else {
                            format!(" (`{}`)", dependency.requirement)
                        }
                    ),
                )
            };
            findings.push(Finding {
                path: file.path.clone(),
                line: Some(*line),
                category: Category::Dependencies,
                rule: rule.into(),
                severity,
                message,
            });
        }
        let lockfiles = ecosystem.lockfile_names();
        let dependencies_changed = !added.is_empty() || !removed.is_empty();
        let lockfile_changed = lockfiles.iter().any(|name| changed_names.contains(name));
        if dependencies_changed && !lockfiles.is_empty() && !lockfile_changed {
            findings.push(Finding {
                path: file.path.clone(),
                line: None,
                category: Category::Dependencies,
                rule: "lockfile-not-updated".into(),
                severity: Severity::Low,
                message: format!(
                    "Dependencies change in `{}` but no lockfile ({}) changes: if the \
                     repository keeps one, regenerate and commit it so builds use what was \
                     reviewed.",
                    paths::file_name(&file.path),
                    lockfiles.join(", ")
                ),
            });
        }
    }
    for file in files {
        let Some(ecosystem) = paths::lockfile_ecosystem(&file.path) else {
            continue;
        };
        if !manifest_ecosystems.contains(&ecosystem) {
            findings.push(Finding {
                path: file.path.clone(),
                line: None,
                category: Category::Dependencies,
                rule: "lockfile-only-change".into(),
                severity: Severity::Info,
                message: format!(
                    "`{}` changes without its manifest: dependency versions move within the \
                     existing ranges ({} lines). Check it was regenerated on purpose and \
                     skim the changed packages.",
                    paths::file_name(&file.path),
                    file.additions.saturating_add(file.deletions)
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, status: FileStatus, additions: u32, patch: Option<&str>) -> ChangedFile {
        ChangedFile {
            path: path.into(),
            previous_path: None,
            status,
            additions,
            deletions: 0,
            patch: patch.map(str::to_string),
        }
    }

    fn rules(assessment: &ShapeAssessment) -> Vec<&str> {
        assessment
            .findings
            .iter()
            .map(|finding| finding.rule.as_str())
            .collect()
    }

    #[test]
    fn every_pattern_compiles() {
        for lazy in [
            &RUST_TEST_ATTRIBUTE,
            &CARGO_DEPENDENCY,
            &TOML_SECTION,
            &JSON_DEPENDENCY,
            &NPM_VERSION_SHAPE,
            &GO_REQUIREMENT,
            &PYTHON_REQUIREMENT,
            &PYPROJECT_DEPENDENCY,
            &GEM_DEPENDENCY,
        ] {
            assert!(!lazy.as_str().is_empty());
        }
    }

    #[test]
    fn size_buckets_have_fixed_edges() {
        let cases = [
            (0, SizeBucket::ExtraSmall),
            (9, SizeBucket::ExtraSmall),
            (10, SizeBucket::Small),
            (99, SizeBucket::Small),
            (100, SizeBucket::Medium),
            (499, SizeBucket::Medium),
            (500, SizeBucket::Large),
            (999, SizeBucket::Large),
            (1000, SizeBucket::ExtraLarge),
            (u32::MAX, SizeBucket::ExtraLarge),
        ];
        for (lines, expected) in cases {
            assert_eq!(SizeBucket::from_lines_changed(lines), expected, "{lines}");
        }
    }

    #[test]
    fn lockfiles_do_not_count_towards_size() {
        let files = [
            file("Cargo.lock", FileStatus::Modified, 5000, None),
            file(
                "Cargo.toml",
                FileStatus::Modified,
                1,
                Some("@@ -10,0 +10,1 @@\n+regex = \"1\""),
            ),
        ];
        let assessment = assess_shape(&files);
        assert_eq!(assessment.reviewable_lines_changed, 1);
        assert_eq!(assessment.size_bucket, SizeBucket::ExtraSmall);
        assert!(!assessment.is_large());
        assert_eq!(rules(&assessment), vec!["dependency-added"]);
    }

    #[test]
    fn large_changes_are_noted() {
        let files = [
            file("src/engine.rs", FileStatus::Modified, 1200, None),
            file("tests/engine.rs", FileStatus::Modified, 10, None),
        ];
        let assessment = assess_shape(&files);
        assert_eq!(assessment.size_bucket, SizeBucket::ExtraLarge);
        assert!(assessment.is_large());
        assert_eq!(rules(&assessment), vec!["large-change"]);
        assert_eq!(assessment.findings[0].severity, Severity::Medium);
    }

    #[test]
    fn source_without_tests_is_noted_unless_tests_change() {
        let source_only = [file("src/billing.py", FileStatus::Modified, 40, None)];
        assert_eq!(rules(&assess_shape(&source_only)), vec!["missing-tests"]);

        let with_tests = [
            file("src/billing.py", FileStatus::Modified, 40, None),
            file("tests/test_billing.py", FileStatus::Modified, 12, None),
        ];
        assert!(rules(&assess_shape(&with_tests)).is_empty());

        let inline_rust_tests = [file(
            "src/billing.rs",
            FileStatus::Modified,
            40,
            Some("@@ -1,0 +1,2 @@\n+#[cfg(test)]\n+mod tests {}"),
        )];
        assert!(rules(&assess_shape(&inline_rust_tests)).is_empty());

        let small = [file("src/billing.py", FileStatus::Modified, 5, None)];
        assert!(rules(&assess_shape(&small)).is_empty());

        let docs_only = [file("docs/guide.md", FileStatus::Modified, 300, None)];
        assert!(rules(&assess_shape(&docs_only)).is_empty());

        let removed_test = [file("tests/test_old.py", FileStatus::Removed, 0, None)];
        assert_eq!(rules(&assess_shape(&removed_test)), vec!["tests-removed"]);
    }

    #[test]
    fn manifests_and_lockfiles_are_paired() {
        let manifest_only = [file(
            "package.json",
            FileStatus::Modified,
            1,
            Some(
                "@@ -12,3 +12,4 @@\n   \"dependencies\": {\n+    \"left-pad\": \"^1.3.0\",\n     \"react\": \"^18.2.0\"\n   }",
            ),
        )];
        assert_eq!(
            rules(&assess_shape(&manifest_only)),
            vec!["dependency-added", "lockfile-not-updated"]
        );

        let lockfile_only = [file("web/yarn.lock", FileStatus::Modified, 80, None)];
        assert_eq!(
            rules(&assess_shape(&lockfile_only)),
            vec!["lockfile-only-change"]
        );

        let version_bump_only = [file(
            "Cargo.toml",
            FileStatus::Modified,
            1,
            Some(
                "@@ -1,3 +1,3 @@\n [package]\n name = \"app\"\n-version = \"0.1.0\"\n+version = \"0.2.0\"",
            ),
        )];
        assert!(rules(&assess_shape(&version_bump_only)).is_empty());
    }

    #[test]
    fn dependency_lines_are_read_per_ecosystem() {
        type Case<'text> = (
            Ecosystem,
            &'text str,
            Option<&'text str>,
            Option<(&'text str, &'text str)>,
        );
        let cases: [Case<'_>; 14] = [
            (
                Ecosystem::Cargo,
                "serde = { version = \"1\", features = [\"derive\"] }",
                Some("dependencies"),
                Some(("serde", "{ version = \"1\", features = [\"derive\"] }")),
            ),
            (
                Ecosystem::Cargo,
                "regex = \"1.10\"",
                None,
                Some(("regex", "1.10")),
            ),
            (
                Ecosystem::Cargo,
                "tokio.workspace = true",
                Some("dependencies"),
                Some(("tokio", ".workspace")),
            ),
            (Ecosystem::Cargo, "version = \"0.2.0\"", None, None),
            (
                Ecosystem::Cargo,
                "opt-level = 3",
                Some("profile.release"),
                None,
            ),
            (
                Ecosystem::Cargo,
                "lto = \"fat\"",
                Some("profile.release"),
                None,
            ),
            (
                Ecosystem::Npm,
                "    \"zod\": \"^3.22.4\",",
                None,
                Some(("zod", "^3.22.4")),
            ),
            (Ecosystem::Npm, "    \"test\": \"vitest run\",", None, None),
            (Ecosystem::Npm, "  \"version\": \"1.4.0\",", None, None),
            (
                Ecosystem::Go,
                "\tgithub.com/google/uuid v1.6.0",
                None,
                Some(("github.com/google/uuid", "v1.6.0")),
            ),
            (
                Ecosystem::PythonRequirements,
                "requests==2.31.0",
                None,
                Some(("requests", "==2.31.0")),
            ),
            (Ecosystem::PythonRequirements, "-r base.txt", None, None),
            (
                Ecosystem::PythonProject,
                "    \"httpx>=0.27\",",
                None,
                Some(("httpx", ">=0.27")),
            ),
            (
                Ecosystem::Bundler,
                "gem 'rails', '~> 7.1'",
                None,
                Some(("rails", "'~> 7.1'")),
            ),
        ];
        for (ecosystem, line, section, expected) in cases {
            let parsed = parse_dependency_line(ecosystem, line, section);
            assert_eq!(
                parsed
                    .as_ref()
                    .map(|dependency| (dependency.name.as_str(), dependency.requirement.as_str())),
                expected,
                "{line}"
            );
        }
    }

    #[test]
    fn unpinned_dependencies_are_noted() {
        let manifest = [
            file(
                "Cargo.toml",
                FileStatus::Modified,
                2,
                Some(
                    "@@ -8,0 +8,2 @@\n+fancy = { git = \"https://github.com/acme/fancy\" }\n+anything = \"*\"",
                ),
            ),
            file("Cargo.lock", FileStatus::Modified, 30, None),
        ];
        assert_eq!(
            rules(&assess_shape(&manifest)),
            vec!["dependency-unpinned-source", "dependency-unpinned-version"]
        );
    }
}
