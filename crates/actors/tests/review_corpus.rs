//! Measures the secret rules of the `review` engine on the synthetic pull-request corpus
//! in `tests/review_corpus/` (made by its `generate.py`): recall — planted secrets found
//! at the right path, line and rule, over all planted — and the false-positive rate —
//! pull requests with any secret finding where none was planted, over all pull
//! requests. Prints both, and fails below 95 % recall or above 2 % false positives.
//!
//! It also checks that no finding message repeats a planted secret and that `redact`
//! masks every planted secret.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use companyos_actors::review::{Category, ChangedFile, added_lines, analyse_changes, redact};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct CorpusPullRequest {
    name: String,
    files: Vec<ChangedFile>,
    expected_secrets: Vec<ExpectedSecret>,
    negatives: Vec<Negative>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
struct ExpectedSecret {
    path: String,
    line: u32,
    rule: String,
}

#[derive(Debug, Deserialize)]
struct Negative {
    path: String,
    line: u32,
    reason: String,
}

fn corpus_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/review_corpus")
}

fn load_corpus() -> Result<Vec<CorpusPullRequest>, String> {
    let directory = corpus_directory();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&directory)
        .map_err(|error| format!("{}: {error}", directory.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("{}: {error}", path.display()))?;
            serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
        })
        .collect()
}

/// The text that holds a planted secret: its added line, or for a private key the added
/// lines from its header to its footer.
fn secret_region(pr: &CorpusPullRequest, expected: &ExpectedSecret) -> Option<String> {
    let file = pr.files.iter().find(|file| file.path == expected.path)?;
    let mut region: Vec<&str> = Vec::new();
    for (number, text) in added_lines(file.patch.as_deref()?) {
        if number < expected.line {
            continue;
        }
        region.push(text);
        if expected.rule != "private-key" || text.contains("-----END") {
            break;
        }
    }
    (!region.is_empty()).then(|| region.join("\n"))
}

/// Runs of secret-like characters (16 or more) of `line` that `redact` removed.
fn masked_values(line: &str) -> Vec<String> {
    let redacted = redact(line);
    line.split(|character: char| {
        !(character.is_ascii_alphanumeric() || "-_+/=.".contains(character))
    })
    .filter(|run| run.len() >= 16 && !redacted.contains(*run))
    .map(str::to_string)
    .collect()
}

#[test]
fn secret_rules_meet_recall_and_false_positive_goals_on_the_corpus() {
    let corpus = match load_corpus() {
        Ok(corpus) => corpus,
        Err(error) => panic!("the review corpus could not be read: {error}"),
    };
    assert!(
        corpus.len() >= 200,
        "the corpus has {} pull requests",
        corpus.len()
    );

    let mut planted = 0usize;
    let mut found = 0usize;
    let mut misses = Vec::new();
    let mut false_positive_prs = Vec::new();
    let mut negatives = 0usize;
    let mut negatives_flagged = Vec::new();
    let mut unredacted = Vec::new();
    let mut leaked = Vec::new();
    let mut clean_prs = 0usize;
    let mut clean_prs_with_security_findings = 0usize;

    for pr in &corpus {
        let analysis = analyse_changes(&pr.files);
        let secret_findings: Vec<_> = analysis
            .findings
            .iter()
            .filter(|finding| finding.category == Category::Secret)
            .collect();
        let reported: BTreeSet<(String, Option<u32>, String)> = secret_findings
            .iter()
            .map(|finding| (finding.path.clone(), finding.line, finding.rule.clone()))
            .collect();
        let expected_places: BTreeSet<(&str, u32)> = pr
            .expected_secrets
            .iter()
            .map(|expected| (expected.path.as_str(), expected.line))
            .collect();

        for expected in &pr.expected_secrets {
            planted += 1;
            let key = (
                expected.path.clone(),
                Some(expected.line),
                expected.rule.clone(),
            );
            if reported.contains(&key) {
                found += 1;
            } else {
                misses.push(format!(
                    "{}: {}:{} {}",
                    pr.name, expected.path, expected.line, expected.rule
                ));
            }
            if let Some(text) = secret_region(pr, expected) {
                if redact(&text) == text {
                    unredacted.push(format!("{}: {}:{}", pr.name, expected.path, expected.line));
                }
                let json = serde_json::to_string(&analysis).unwrap_or_default();
                for value in masked_values(&text) {
                    if json.contains(&value) {
                        leaked.push(format!("{}: {}:{}", pr.name, expected.path, expected.line));
                    }
                }
            }
        }

        let unexpected: Vec<String> = secret_findings
            .iter()
            .filter(|finding| {
                finding
                    .line
                    .is_none_or(|line| !expected_places.contains(&(finding.path.as_str(), line)))
            })
            .map(|finding| {
                format!(
                    "{}:{:?} {} — {}",
                    finding.path, finding.line, finding.rule, finding.message
                )
            })
            .collect();
        if !unexpected.is_empty() {
            false_positive_prs.push(format!("{}: {}", pr.name, unexpected.join("; ")));
        }

        for negative in &pr.negatives {
            negatives += 1;
            if secret_findings
                .iter()
                .any(|finding| finding.path == negative.path && finding.line == Some(negative.line))
            {
                negatives_flagged.push(format!(
                    "{}: {}:{} ({})",
                    pr.name, negative.path, negative.line, negative.reason
                ));
            }
        }

        if pr.name.starts_with("clean-") {
            clean_prs += 1;
            if analysis
                .findings
                .iter()
                .any(|finding| finding.category == Category::Security)
            {
                clean_prs_with_security_findings += 1;
            }
        }
    }

    let recall = found as f64 / planted.max(1) as f64;
    let false_positive_rate = false_positive_prs.len() as f64 / corpus.len() as f64;
    println!(
        "review corpus: {} pull requests ({} clean), {} planted secrets, {} negatives",
        corpus.len(),
        clean_prs,
        planted,
        negatives
    );
    println!("recall: {found}/{planted} = {:.1} %", recall * 100.0);
    println!(
        "false-positive pull requests: {}/{} = {:.1} %",
        false_positive_prs.len(),
        corpus.len(),
        false_positive_rate * 100.0
    );
    println!(
        "negatives flagged: {}/{}",
        negatives_flagged.len(),
        negatives
    );
    println!(
        "clean pull requests with a security finding: {clean_prs_with_security_findings}/{clean_prs}"
    );
    for miss in &misses {
        println!("  missed: {miss}");
    }
    for false_positive in &false_positive_prs {
        println!("  false positive: {false_positive}");
    }
    for flagged in &negatives_flagged {
        println!("  negative flagged: {flagged}");
    }

    assert!(planted > 0, "no planted secrets in the corpus");
    assert!(
        recall >= 0.95,
        "recall {:.1} % is below 95 %: {misses:#?}",
        recall * 100.0
    );
    assert!(
        false_positive_rate <= 0.02,
        "false-positive rate {:.1} % is above 2 %: {false_positive_prs:#?}",
        false_positive_rate * 100.0
    );
    assert!(
        unredacted.is_empty(),
        "redact left planted secrets visible: {unredacted:#?}"
    );
    assert!(
        leaked.is_empty(),
        "findings repeat planted secrets: {leaked:#?}"
    );
}
