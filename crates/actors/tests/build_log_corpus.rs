//! Measures the deployment agent's reading of failed builds on the corpus in
//! `tests/build_log_corpus/`: build logs people pasted in public issues and discussions
//! (each file names its source), labelled with the cause the thread agreed on and the
//! step that failed. Prints the accuracy per cause, the confusion between causes and the
//! step accuracy, and fails below 90 % overall or 80 % for any cause, or when the corpus
//! is smaller than 60 logs or a cause has fewer than 6.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use companyos_actors::build_log::{BuildStep, FailureCause, classify};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Case {
    source: String,
    cause: FailureCause,
    step: Option<BuildStep>,
    #[serde(default)]
    misleading: bool,
    log: String,
}

fn corpus_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/build_log_corpus")
}

fn corpus() -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_directory())
        .expect("the corpus directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let case: Case = serde_json::from_slice(&std::fs::read(&path).expect("read"))
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            (name, case)
        })
        .collect()
}

#[test]
fn the_classifier_names_the_cause_a_reader_agreed_on() {
    let cases = corpus();
    let mut by_cause: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let mut confusion: BTreeMap<(&'static str, &'static str), usize> = BTreeMap::new();
    let (mut right, mut steps_right, mut steps_labelled) = (0, 0, 0);
    let (mut misleading, mut misleading_right) = (0, 0);
    let mut wrong = Vec::new();
    for (name, case) in &cases {
        assert!(
            case.source.starts_with("https://"),
            "{name}: a log names its source"
        );
        let lines: Vec<String> = case.log.lines().map(str::to_owned).collect();
        let analysis = classify(&lines);
        let entry = by_cause.entry(case.cause.as_str()).or_default();
        entry.1 += 1;
        *confusion
            .entry((case.cause.as_str(), analysis.cause.as_str()))
            .or_default() += 1;
        if analysis.cause == case.cause {
            entry.0 += 1;
            right += 1;
        } else {
            wrong.push(format!(
                "{name}: {} read as {} ({})",
                case.cause.as_str(),
                analysis.cause.as_str(),
                analysis.summary
            ));
        }
        if case.misleading {
            misleading += 1;
            misleading_right += usize::from(analysis.cause == case.cause);
        }
        if let Some(step) = case.step {
            steps_labelled += 1;
            steps_right += usize::from(analysis.step == Some(step));
        }
    }
    let percent = |part: usize, whole: usize| 100.0 * part as f64 / whole.max(1) as f64;
    println!("build log corpus: {} logs", cases.len());
    println!("| cause | logs | right | accuracy |\n|---|---|---|---|");
    for (cause, (hits, total)) in &by_cause {
        println!(
            "| {cause} | {total} | {hits} | {:.0} % |",
            percent(*hits, *total)
        );
    }
    println!(
        "| all | {} | {right} | {:.1} % |",
        cases.len(),
        percent(right, cases.len())
    );
    println!(
        "misleading logs: {misleading_right} of {misleading}; steps: {steps_right} of {steps_labelled} ({:.0} %)",
        percent(steps_right, steps_labelled)
    );
    println!("confusion (labelled → read):");
    for ((labelled, read), count) in &confusion {
        if labelled != read {
            println!("  {labelled} → {read}: {count}");
        }
    }
    for line in &wrong {
        println!("  {line}");
    }
    assert!(cases.len() >= 60, "the corpus holds {} logs", cases.len());
    for cause in FailureCause::ALL {
        if cause == FailureCause::Unknown {
            continue;
        }
        let (hits, total) = by_cause.get(cause.as_str()).copied().unwrap_or_default();
        assert!(total >= 6, "{}: {total} logs", cause.as_str());
        assert!(
            percent(hits, total) >= 80.0,
            "{}: {hits} of {total} right",
            cause.as_str()
        );
    }
    assert!(
        percent(right, cases.len()) >= 90.0,
        "{right} of {} right",
        cases.len()
    );
}
