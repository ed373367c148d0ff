//! `review` owns the rules-only analysis engine of the `code_review` agent: given a pull
//! request's changed files (the `patch` text GitHub's
//! `GET /repos/{owner}/{repo}/pulls/{number}/files` returns), it reports findings —
//! committed secrets, risky code, the change's size, missing tests and dependency
//! changes — with a risk level and a summary a reviewer reads first.
//!
//! It also scans whole files for the security agent ([`scan_contents`]), masks secrets
//! before text is sent to a language model ([`redact`], [`mask`]) and picks reviewers
//! from a CODEOWNERS file ([`codeowners_reviewers`]).
//!
//! Everything here is pure computation over strings: no I/O, no clock, no randomness,
//! and no input can make it panic. Submodules:
//! - [`diff`] reads unified-diff hunks;
//! - [`paths`] classifies files (language, tests, lockfiles, migrations, …);
//! - [`secrets`] holds the secret rules, their allowlist, `redact` and `mask`;
//! - [`risky`] holds the risky-code rules (category `security`);
//! - [`shape`] judges size, tests and dependency manifests;
//! - [`codeowners`] resolves CODEOWNERS owners.

pub mod codeowners;
pub mod diff;
pub mod paths;
pub mod risky;
pub mod secrets;
pub mod shape;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use codeowners::codeowners_reviewers;
pub use diff::{PatchLine, PatchLineKind, added_lines, patch_lines};
pub use secrets::{mask, redact};
pub use shape::SizeBucket;

/// One file of a pull request, as GitHub's pull-request files endpoint describes it
/// (`filename` and `previous_filename` are accepted for `path` and `previous_path`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    #[serde(alias = "filename")]
    pub path: String,
    #[serde(default, alias = "previous_filename")]
    pub previous_path: Option<String>,
    pub status: FileStatus,
    #[serde(default)]
    pub additions: u32,
    #[serde(default)]
    pub deletions: u32,
    /// Absent for binary files and for diffs GitHub considers too large.
    #[serde(default)]
    pub patch: Option<String>,
}

/// A file's change status, spelled as GitHub spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Modified,
    Removed,
    Renamed,
    Copied,
    Changed,
    Unchanged,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Secret,
    Security,
    Quality,
    Tests,
    Dependencies,
    Size,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Secret => "secret",
            Category::Security => "security",
            Category::Quality => "quality",
            Category::Tests => "tests",
            Category::Dependencies => "dependencies",
            Category::Size => "size",
        }
    }
}

/// How bad a finding is. Ordered so that `Critical` is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    /// 4 for critical down to 0 for info.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Critical => 4,
            Severity::High => 3,
            Severity::Medium => 2,
            Severity::Low => 1,
            Severity::Info => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// The pull request's overall risk. Ordered so that `Critical` is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

impl fmt::Display for Risk {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        })
    }
}

/// One thing a reviewer should look at. `line` is the line number in the new file
/// (`None` for findings about a whole file or the whole pull request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub path: String,
    pub line: Option<u32>,
    pub category: Category,
    pub rule: String,
    pub severity: Severity,
    pub message: String,
}

/// The review of a pull request: what the agent reports (plus `suggested_reviewers`,
/// which the agent adds from CODEOWNERS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    pub summary: String,
    pub risk: Risk,
    pub findings: Vec<Finding>,
}

/// Reviews a pull request's changed files by rules alone: secrets and risky code on the
/// added lines, then the change's shape (size, tests, dependencies). Findings are
/// ordered worst first, then by path and line.
pub fn analyse_changes(files: &[ChangedFile]) -> Analysis {
    let mut findings = Vec::new();
    for file in files {
        findings.extend(analyse_file(file));
    }
    let shape = shape::assess_shape(files);
    findings.extend(shape.findings.iter().cloned());
    sort_findings(&mut findings);
    let risk = derive_risk(&findings, &shape);
    let summary = summarise(&findings, &shape, risk);
    Analysis {
        summary,
        risk,
        findings,
    }
}

/// Scans a whole file at the head commit (for the security agent): secrets and risky
/// code, with `line` the line number in the file.
pub fn scan_contents(path: &str, contents: &str) -> Vec<Finding> {
    let lines: Vec<(u32, &str)> = contents
        .split('\n')
        .enumerate()
        .map(|(index, line)| {
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            (number, line.strip_suffix('\r').unwrap_or(line))
        })
        .collect();
    let test_code_from_line = rust_test_code_start(path, None, &lines);
    let mut findings = secrets::scan_lines(path, &lines, contents, test_code_from_line);
    findings.extend(risky::scan_lines(path, &lines, &lines, test_code_from_line));
    let mut findings = cap_findings_per_rule(findings);
    sort_findings(&mut findings);
    findings
}

/// Findings of one rule reported per file; the rest are counted in one extra finding.
pub const MAXIMUM_FINDINGS_PER_RULE_AND_FILE: usize = 20;

/// Keeps the first [`MAXIMUM_FINDINGS_PER_RULE_AND_FILE`] findings of each rule (all
/// from one file) and says how many more there were, so that a generated or pasted
/// file cannot flood the review.
fn cap_findings_per_rule(findings: Vec<Finding>) -> Vec<Finding> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut kept = Vec::with_capacity(findings.len().min(256));
    let mut first_dropped: BTreeMap<String, Finding> = BTreeMap::new();
    for finding in findings {
        let count = counts.entry(finding.rule.clone()).or_insert(0);
        *count += 1;
        if *count <= MAXIMUM_FINDINGS_PER_RULE_AND_FILE {
            kept.push(finding);
        } else {
            first_dropped.entry(finding.rule.clone()).or_insert(finding);
        }
    }
    for (rule, example) in first_dropped {
        let more = counts.get(&rule).map_or(0, |count| {
            count.saturating_sub(MAXIMUM_FINDINGS_PER_RULE_AND_FILE)
        });
        kept.push(Finding {
            line: None,
            message: format!(
                "{more} more `{rule}` findings in this file, from line {} on, are not listed.",
                example
                    .line
                    .map_or_else(|| "?".to_string(), |line| line.to_string())
            ),
            ..example
        });
    }
    kept
}

/// Secrets and risky code on one changed file's added lines, plus file-level notes.
fn analyse_file(file: &ChangedFile) -> Vec<Finding> {
    let mut findings = Vec::new();
    if file.status == FileStatus::Removed {
        return findings;
    }
    if paths::is_sensitive_file_name(&file.path) {
        findings.push(Finding {
            path: file.path.clone(),
            line: None,
            category: Category::Security,
            rule: "sensitive-file-committed".into(),
            severity: Severity::High,
            message: format!(
                "`{}` is a kind of file that holds credentials (private keys, keystores, \
                 password or environment files): remove it from the branch, add it to \
                 .gitignore and rotate whatever it contained.",
                paths::file_name(&file.path)
            ),
        });
    }
    let Some(patch) = file.patch.as_deref() else {
        if file.additions > 0 && !paths::is_generated_or_vendored(&file.path) {
            findings.push(Finding {
                path: file.path.clone(),
                line: None,
                category: Category::Quality,
                rule: "patch-unavailable".into(),
                severity: Severity::Info,
                message: "GitHub sent no diff for this file (binary, or too large to show): \
                          it was not scanned, so review it by hand."
                    .into(),
            });
        }
        return findings;
    };
    let all_lines: Vec<PatchLine<'_>> = patch_lines(patch).collect();
    let added: Vec<(u32, &str)> = all_lines
        .iter()
        .filter(|line| line.kind == PatchLineKind::Added)
        .map(|line| (line.new_line_number, line.text))
        .collect();
    if added.is_empty() {
        return findings;
    }
    let visible_new_lines: Vec<(u32, &str)> = all_lines
        .iter()
        .filter(|line| line.kind != PatchLineKind::Removed)
        .map(|line| (line.new_line_number, line.text))
        .collect();
    let test_code_from_line = rust_test_code_start(&file.path, Some(patch), &visible_new_lines);
    findings.extend(secrets::scan_lines(
        &file.path,
        &added,
        patch,
        test_code_from_line,
    ));
    findings.extend(risky::scan_lines(
        &file.path,
        &added,
        &visible_new_lines,
        test_code_from_line,
    ));
    cap_findings_per_rule(findings)
}

/// Where a Rust file's unit tests start: its `#[cfg(test)]` line, or the first hunk git
/// places inside `mod tests` (from the hunk heading). `None` for other files.
fn rust_test_code_start(
    path: &str,
    patch: Option<&str>,
    visible_lines: &[(u32, &str)],
) -> Option<u32> {
    if paths::file_kind(path) != paths::FileKind::Rust {
        return None;
    }
    let from_attribute = visible_lines
        .iter()
        .filter(|(_, text)| text.trim_start().starts_with("#[cfg(test)]"))
        .map(|(number, _)| *number)
        .min();
    let from_headings = patch
        .into_iter()
        .flat_map(diff::hunk_headings)
        .filter(|(_, heading)| heading.starts_with("mod tests") || heading.starts_with("mod test "))
        .map(|(header, _)| header.new_start)
        .min();
    from_attribute.into_iter().chain(from_headings).min()
}

/// Worst first, then path, then line (file-level findings before line findings), then rule.
fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|left, right| {
        right
            .severity
            .cmp(&left.severity)
            .then_with(|| left.path.cmp(&right.path))
            .then_with(|| left.line.cmp(&right.line))
            .then_with(|| left.rule.cmp(&right.rule))
    });
}

/// Any critical finding → critical; any high → high; a medium finding or a large
/// change → medium; otherwise low.
fn derive_risk(findings: &[Finding], shape: &shape::ShapeAssessment) -> Risk {
    let worst = findings.iter().map(|finding| finding.severity).max();
    match worst {
        Some(Severity::Critical) => Risk::Critical,
        Some(Severity::High) => Risk::High,
        Some(Severity::Medium) => Risk::Medium,
        _ if shape.is_large() => Risk::Medium,
        _ => Risk::Low,
    }
}

/// One or two plain sentences: risk, size, counts by category, and where to start.
fn summarise(findings: &[Finding], shape: &shape::ShapeAssessment, risk: Risk) -> String {
    let mut counts: BTreeMap<Category, usize> = BTreeMap::new();
    for finding in findings.iter().filter(|f| f.severity != Severity::Info) {
        *counts.entry(finding.category).or_insert(0) += 1;
    }
    let lines_changed = shape.lines_added.saturating_add(shape.lines_removed);
    let reviewable_note = if shape.reviewable_lines_changed == lines_changed {
        String::new()
    } else {
        format!(
            ", {} outside lockfiles and generated files",
            shape.reviewable_lines_changed
        )
    };
    let size = format!(
        "{} change ({} file{}, +{}/−{} lines{})",
        shape.size_bucket.as_str(),
        shape.files_touched,
        if shape.files_touched == 1 { "" } else { "s" },
        shape.lines_added,
        shape.lines_removed,
        reviewable_note,
    );
    let notes = findings
        .iter()
        .filter(|finding| finding.severity == Severity::Info)
        .count();
    let findings_text = if counts.is_empty() {
        match notes {
            0 => "nothing flagged".to_string(),
            1 => "nothing flagged (1 note)".to_string(),
            _ => format!("nothing flagged ({notes} notes)"),
        }
    } else {
        let parts: Vec<String> = counts
            .iter()
            .map(|(category, count)| category_count_text(*category, *count))
            .collect();
        join_as_list(&parts)
    };
    let mut summary = format!(
        "{} risk: {}, {}.",
        capitalise(&risk.to_string()),
        size,
        findings_text
    );
    if let Some(worst) = findings
        .iter()
        .find(|finding| finding.severity >= Severity::Medium)
    {
        let location = match worst.line {
            Some(line) => format!("{}:{}", worst.path, line),
            None => worst.path.clone(),
        };
        summary.push_str(&format!(
            " Start with the {} finding `{}` in {}.",
            worst.severity.as_str(),
            worst.rule,
            location
        ));
    }
    summary
}

fn category_count_text(category: Category, count: usize) -> String {
    let noun = match (category, count) {
        (Category::Secret, 1) => "secret",
        (Category::Secret, _) => "secrets",
        (Category::Security, 1) => "security issue",
        (Category::Security, _) => "security issues",
        (Category::Quality, 1) => "quality note",
        (Category::Quality, _) => "quality notes",
        (Category::Tests, 1) => "test note",
        (Category::Tests, _) => "test notes",
        (Category::Dependencies, 1) => "dependency note",
        (Category::Dependencies, _) => "dependency notes",
        (Category::Size, 1) => "size note",
        (Category::Size, _) => "size notes",
    };
    format!("{count} {noun}")
}

fn join_as_list(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

fn capitalise(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added_file(path: &str, lines: &[&str]) -> ChangedFile {
        let mut patch = format!("@@ -0,0 +1,{} @@\n", lines.len());
        for line in lines {
            patch.push('+');
            patch.push_str(line);
            patch.push('\n');
        }
        ChangedFile {
            path: path.into(),
            previous_path: None,
            status: FileStatus::Added,
            additions: u32::try_from(lines.len()).unwrap_or(u32::MAX),
            deletions: 0,
            patch: Some(patch),
        }
    }

    #[test]
    fn severity_orders_critical_highest() {
        let mut severities = vec![
            Severity::Low,
            Severity::Critical,
            Severity::Info,
            Severity::High,
            Severity::Medium,
        ];
        severities.sort();
        assert_eq!(
            severities,
            vec![
                Severity::Info,
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical
            ]
        );
        assert!(Risk::Critical > Risk::High && Risk::Medium > Risk::Low);
    }

    #[test]
    fn enums_serialise_as_github_and_the_agent_spell_them() {
        let cases = [
            (serde_json::to_value(FileStatus::Renamed).ok(), "renamed"),
            (
                serde_json::to_value(Category::Dependencies).ok(),
                "dependencies",
            ),
            (serde_json::to_value(Severity::Critical).ok(), "critical"),
            (serde_json::to_value(Risk::Medium).ok(), "medium"),
        ];
        for (value, expected) in cases {
            assert_eq!(value, Some(serde_json::Value::String(expected.into())));
        }
    }

    #[test]
    fn github_pull_request_file_json_deserialises() {
        let json = r#"{"sha":"abc","filename":"src/new.rs","previous_filename":"src/old.rs",
            "status":"renamed","additions":1,"deletions":0,"changes":1,
            "patch":"@@ -1,0 +1,1 @@\n+fn f() {}"}"#;
        let file: Result<ChangedFile, _> = serde_json::from_str(json);
        let file = file.ok();
        assert_eq!(
            file.as_ref().map(|file| file.path.as_str()),
            Some("src/new.rs")
        );
        assert_eq!(
            file.as_ref().and_then(|file| file.previous_path.as_deref()),
            Some("src/old.rs")
        );
        assert_eq!(file.map(|file| file.status), Some(FileStatus::Renamed));
    }

    #[test]
    fn a_clean_small_change_is_low_risk_with_a_plain_summary() {
        let files = [
            added_file(
                "src/greeting.rs",
                &[
                    "pub fn greeting(name: &str) -> String {",
                    "    format!(\"Hello, {name}!\")",
                    "}",
                ],
            ),
            added_file(
                "tests/greeting.rs",
                &["#[test]", "fn greets() { assert!(true); }"],
            ),
        ];
        let analysis = analyse_changes(&files);
        assert_eq!(analysis.risk, Risk::Low);
        assert!(
            analysis
                .summary
                .starts_with("Low risk: XS change (2 files, +5/−0 lines)"),
            "{}",
            analysis.summary
        );
        assert!(
            analysis
                .findings
                .iter()
                .all(|finding| finding.severity == Severity::Info),
            "{:?}",
            analysis.findings
        );
    }

    #[test]
    fn a_committed_token_makes_the_pull_request_critical_and_is_masked() {
        let token = "ghp_R7kq2Lw9ZpX4vN8mT3bC6yH1jD5sF0aGeQuV";
        let line = format!("GITHUB_TOKEN={token}");
        let files = [added_file(
            "deploy/app.env.production",
            &["APP_PORT=8080", &line],
        )];
        let analysis = analyse_changes(&files);
        assert_eq!(analysis.risk, Risk::Critical);
        let secret = analysis
            .findings
            .iter()
            .find(|finding| finding.category == Category::Secret);
        assert_eq!(
            secret.map(|finding| (finding.rule.as_str(), finding.line)),
            Some(("github-pat", Some(2)))
        );
        let json = serde_json::to_string(&analysis).unwrap_or_default();
        assert!(!json.contains(token), "{json}");
        assert!(
            analysis.summary.contains("1 secret"),
            "{}",
            analysis.summary
        );
        assert!(
            analysis.summary.contains("github-pat"),
            "{}",
            analysis.summary
        );
    }

    #[test]
    fn removed_files_and_files_without_patches_are_handled() {
        let removed = ChangedFile {
            path: "config/secrets.yml".into(),
            previous_path: None,
            status: FileStatus::Removed,
            additions: 0,
            deletions: 3,
            patch: Some("@@ -1,1 +0,0 @@\n-token: ghp_R7kq2Lw9ZpX4vN8mT3bC6yH1jD5sF0aGeQuV".into()),
        };
        let binary = ChangedFile {
            path: "assets/logo.png".into(),
            previous_path: None,
            status: FileStatus::Added,
            additions: 10,
            deletions: 0,
            patch: None,
        };
        let analysis = analyse_changes(&[removed, binary]);
        assert!(
            analysis
                .findings
                .iter()
                .all(|finding| finding.category != Category::Secret)
        );
        assert!(
            analysis
                .findings
                .iter()
                .any(|finding| finding.rule == "patch-unavailable")
        );
    }

    #[test]
    fn scan_contents_reports_lines_in_the_whole_file() {
        let contents = "import os\n\nAPI = 'https://api.example.com'\nSTRIPE_KEY = 'sk_live_4eC39HqLyjWDarjtT1zdp7dcQ2'\nrequests.get(API, verify=False)\n";
        let findings = scan_contents("billing/client.py", contents);
        let found: Vec<(&str, Option<u32>)> = findings
            .iter()
            .map(|finding| (finding.rule.as_str(), finding.line))
            .collect();
        assert!(
            found.contains(&("stripe-live-secret-key", Some(4))),
            "{found:?}"
        );
        assert!(
            found.contains(&("tls-verification-disabled", Some(5))),
            "{found:?}"
        );
    }

    #[test]
    fn rust_unit_test_modules_count_as_test_code() {
        let with_module = added_file(
            "src/masking.rs",
            &[
                "pub fn f() {}",
                "#[cfg(test)]",
                "mod tests {",
                "    const TOKEN: &str = \"Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6\";",
                "    const GITHUB: &str = \"ghp_R7kq2Lw9ZpX4vN8mT3bC6yH1jD5sF0aGeQuV\";",
                "}",
            ],
        );
        let analysis = analyse_changes(&[with_module]);
        let secrets: Vec<(&str, Severity)> = analysis
            .findings
            .iter()
            .filter(|finding| finding.category == Category::Secret)
            .map(|finding| (finding.rule.as_str(), finding.severity))
            .collect();
        assert_eq!(secrets, vec![("github-pat", Severity::Low)]);

        let inside_tests_hunk = ChangedFile {
            path: "src/masking.rs".into(),
            previous_path: None,
            status: FileStatus::Modified,
            additions: 1,
            deletions: 0,
            patch: Some(
                "@@ -80,2 +80,3 @@ mod tests {\n     #[test]\n+    const TOKEN: &str = \"Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6\";\n     fn t() {}"
                    .into(),
            ),
        };
        let analysis = analyse_changes(&[inside_tests_hunk]);
        assert!(
            analysis
                .findings
                .iter()
                .all(|finding| finding.category != Category::Secret),
            "{:?}",
            analysis.findings
        );
    }

    #[test]
    fn findings_per_rule_and_file_are_capped() {
        let lines: Vec<String> = (0..30)
            .map(|index| format!("  \"token_{index}\": \"Zq8Xk2Lm9Rp4Wv1Nt7Yb{index:05}\","))
            .collect();
        let line_references: Vec<&str> = lines.iter().map(String::as_str).collect();
        let analysis = analyse_changes(&[added_file("config/tokens.json", &line_references)]);
        let generic: Vec<&Finding> = analysis
            .findings
            .iter()
            .filter(|finding| finding.rule == "generic-secret")
            .collect();
        assert_eq!(generic.len(), MAXIMUM_FINDINGS_PER_RULE_AND_FILE + 1);
        assert!(
            generic
                .iter()
                .any(|finding| finding.line.is_none() && finding.message.starts_with("10 more")),
            "{generic:?}"
        );
    }

    #[test]
    fn an_empty_pull_request_is_low_risk() {
        let analysis = analyse_changes(&[]);
        assert_eq!(analysis.risk, Risk::Low);
        assert!(analysis.findings.is_empty());
        assert!(
            analysis.summary.contains("nothing flagged"),
            "{}",
            analysis.summary
        );
    }
}
