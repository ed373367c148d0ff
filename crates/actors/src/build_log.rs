//! Reading a failed build's log as a person would: find where the failure starts — the
//! first line a compiler, a test runner, a package manager or Vercel itself prints to
//! say what went wrong — and name the cause from that block, not from whichever word
//! appears first anywhere. The wrappers every failure is followed by (npm's lifecycle
//! lines, `Command "…" exited with 1`, `ELIFECYCLE`) carry no cause of their own beyond
//! their exit code (137 and `Killed` mean the process was killed, usually for memory).
//! The step that failed (install, build, test, deploy) is the one whose command the log
//! shows running when the failure starts.
//!
//! Pure: the deployment agent feeds it Vercel's build events; the corpus test feeds it
//! logs people pasted in public issues.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

/// Why a build failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCause {
    OutOfMemory,
    Timeout,
    MissingEnvironmentVariable,
    DependencyInstall,
    FailingTests,
    BuildError,
    Unknown,
}

impl FailureCause {
    pub const ALL: [FailureCause; 7] = [
        FailureCause::OutOfMemory,
        FailureCause::Timeout,
        FailureCause::MissingEnvironmentVariable,
        FailureCause::DependencyInstall,
        FailureCause::FailingTests,
        FailureCause::BuildError,
        FailureCause::Unknown,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            FailureCause::OutOfMemory => "the build ran out of memory",
            FailureCause::Timeout => "the build ran past its time limit",
            FailureCause::MissingEnvironmentVariable => {
                "an environment variable the build needs is not set"
            }
            FailureCause::DependencyInstall => "installing or resolving dependencies failed",
            FailureCause::FailingTests => "tests failed during the build",
            FailureCause::BuildError => "the build command failed",
            FailureCause::Unknown => "the build log does not say why",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailureCause::OutOfMemory => "out_of_memory",
            FailureCause::Timeout => "timeout",
            FailureCause::MissingEnvironmentVariable => "missing_environment_variable",
            FailureCause::DependencyInstall => "dependency_install",
            FailureCause::FailingTests => "failing_tests",
            FailureCause::BuildError => "build_error",
            FailureCause::Unknown => "unknown",
        }
    }
}

/// The step of a build that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildStep {
    Install,
    Build,
    Test,
    Deploy,
}

impl BuildStep {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildStep::Install => "install",
            BuildStep::Build => "build",
            BuildStep::Test => "test",
            BuildStep::Deploy => "deploy",
        }
    }
}

/// A log line that shows the cause: its position among the build's lines and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub line: usize,
    pub text: String,
}

/// What the log says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureAnalysis {
    pub cause: FailureCause,
    /// The step whose command was running when the failure started, when the log says.
    pub step: Option<BuildStep>,
    /// 0–1: how surely the lines say it (a named error is sure; a bare `Error:` less so).
    pub confidence: f32,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub lines_read: usize,
    /// A language model's reading of the error block, when the agent has a model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelReading>,
}

/// What a model made of the error block, and whether it changed the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelReading {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<FailureCause>,
    #[serde(default)]
    pub reason: String,
    /// The log line the model quoted as its evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// Whether its cause replaced the rules'.
    #[serde(default)]
    pub accepted: bool,
    /// Why it did not (no evidence, the rules' cause, a failure of the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The lines a model is shown: the commands the log shows running before the failure,
/// and the block where it starts (with two lines before it) — never the rest of the log.
pub fn error_block(lines: &[String]) -> Vec<(usize, String)> {
    let cleaned: Vec<String> = lines.iter().map(|line| clean(line)).collect();
    let start = cleaned
        .iter()
        .position(|line| signal_of(line).is_some() || killed(line))
        .unwrap_or(cleaned.len().saturating_sub(BLOCK));
    let commands = cleaned[..start]
        .iter()
        .enumerate()
        .filter(|(_, line)| STEP_SET.iter().any(|(_, pattern)| pattern.is_match(line)))
        .map(|(index, _)| index);
    let block = start.saturating_sub(2)..cleaned.len().min(start + BLOCK);
    let mut shown: Vec<usize> = commands.chain(block).collect();
    shown.sort_unstable();
    shown.dedup();
    shown
        .into_iter()
        .map(|index| (index + 1, lines[index].trim().to_owned()))
        .collect()
}

/// A model's answer about a build log.
#[derive(Debug, Deserialize)]
pub struct ModelAnswer {
    pub cause: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub quote: String,
}

/// Weighs a model's answer against the rules' reading: the model's cause replaces the
/// rules' only with evidence — a quoted line of the block it was shown that is not a
/// wrapper — and a reason. `None` for the analysis: the rules' answer stands.
pub fn weigh(analysis: &mut FailureAnalysis, answer: &ModelAnswer, block: &[(usize, String)]) {
    let cause = FailureCause::ALL
        .into_iter()
        .find(|cause| cause.as_str() == answer.cause.trim());
    let quote = answer.quote.trim();
    let quoted = (quote.chars().count() >= 8)
        .then(|| {
            block
                .iter()
                .find(|(_, line)| line.contains(quote) && !WRAPPER_SET.is_match(&clean(line)))
        })
        .flatten();
    let mut reading = ModelReading {
        cause,
        reason: crate::review::redact(answer.reason.trim()),
        quote: (!quote.is_empty()).then(|| crate::review::redact(quote)),
        accepted: false,
        note: None,
    };
    reading.note = match (cause, quoted) {
        (None | Some(FailureCause::Unknown), _) => Some("the model named no cause".into()),
        (Some(cause), _) if cause == analysis.cause => Some("the model agrees".into()),
        (Some(_), None) => {
            Some("the model's cause was not taken: it quoted no line of the error block".into())
        }
        (Some(_), Some(_)) if reading.reason.is_empty() => {
            Some("the model's cause was not taken: it gave no reason".into())
        }
        (Some(cause), Some((line, text))) => {
            reading.accepted = true;
            analysis.cause = cause;
            analysis.confidence = analysis.confidence.max(0.7);
            let step_words = analysis.step.map_or_else(String::new, |step| {
                format!("the {} step failed: ", step.as_str())
            });
            analysis.summary = format!("{step_words}{}: {}", cause.describe(), reading.reason);
            analysis.evidence.insert(
                0,
                Evidence {
                    line: *line,
                    text: crate::review::redact(text),
                },
            );
            analysis.evidence.truncate(5);
            None
        }
    };
    analysis.model = Some(reading);
}

/// How much a line says about its cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Weight {
    /// A generic error word (`Error:`, `error during build`).
    Generic = 1,
    /// A named error of one cause.
    Named = 3,
}

struct Signal {
    cause: FailureCause,
    weight: Weight,
    pattern: &'static str,
}

const fn named(cause: FailureCause, pattern: &'static str) -> Signal {
    Signal {
        cause,
        weight: Weight::Named,
        pattern,
    }
}

const fn generic(cause: FailureCause, pattern: &'static str) -> Signal {
    Signal {
        cause,
        weight: Weight::Generic,
        pattern,
    }
}

use FailureCause::{
    BuildError, DependencyInstall, FailingTests, MissingEnvironmentVariable, OutOfMemory, Timeout,
};

/// What lines say, by cause. Patterns are case-insensitive and read a line with its
/// timestamp and colours removed.
const SIGNALS: &[Signal] = &[
    // The process was killed or ran out of memory: explains every error after it.
    named(
        OutOfMemory,
        r"heap out of memory|javascript heap|reached heap limit",
    ),
    named(
        OutOfMemory,
        r"out of memory|\boom[- ]?kill|\boomkilled\b|\benomem\b|memory limit|ran out of memory",
    ),
    named(
        OutOfMemory,
        r"^killed$|\bsigkill\b|signal:? killed|exit(ed)?( with)?( code| status)?:? 137\b|code 137\b",
    ),
    // The build itself ran out of time (not a test's own timeout, not a network one).
    named(
        Timeout,
        r"maximum (build )?duration|build (has )?timed out|timed out after \d+ ?(m\b|m\d|min|minute|h\b|hour)|did not finish within the time limit|execution timed out|timed out while building|the current limit is \d+ minutes|exceeded the (maximum )?(time|execution) limit|maximum execution time|took too long to build|build exceeded",
    ),
    // A variable the build reads is not set.
    named(
        MissingEnvironmentVariable,
        r"references secret .* which does not exist|secret .* does not exist|no secret found by|env-no-secret|environment variable .* resolved to an empty string|must provide a nonempty url|environment variable not found|invalid environment variables|missing (required )?env(ironment)?( var(iable)?s?)?\b|env(ironment)? var(iable)?s? .*(missing|not set|not defined|undefined|is required|must be (set|defined|provided))|(is|are) not defined in the environment|process\.env\.\w+ is (undefined|not defined)|\b(?-i:[A-Z][A-Z0-9_]{2,})\b.* (is (required|missing|undefined|not set)|must be set|not set)\b|\bmissing (?-i:[A-Z][A-Z0-9_]{2,})\b|cannot read propert(y|ies) of undefined \(reading '(?-i:[A-Z][A-Z0-9_]+)'\)|supabase ?url is required|\burl is required\b",
    ),
    // The dependencies could not be installed or resolved.
    named(
        DependencyInstall,
        r"\beresolve\b|could not resolve dependency|conflicting peer dependency|unable to resolve dependency tree|peer dep(endency)? .* (conflict|missing)",
    ),
    named(
        DependencyInstall,
        r"err_pnpm_\w+|frozen[- ]lockfile|lockfile .*(out of date|needs to be updated|not up to date|does not satisfy|doesn't satisfy|is not up-to-date)|your lockfile needs to be updated|\bYN0028\b|outdated lockfile",
    ),
    named(
        DependencyInstall,
        r"npm (err!|error) (code )?(e404|etarget|eintegrity|enotfound|econnreset|etimedout|eai_again|ebadengine|enoent|eperm|eacces)\b|404 not found - get https?://registry|no matching version found|\bnotarget\b|integrity check failed|\beintegrity\b|couldn't find package|is not in this registry|error an unexpected error occurred: \x22https?://registry",
    ),
    named(
        DependencyInstall,
        r"resolutionimpossible|no matching distribution found|could not find a version that satisfies|failed building wheel|error: subprocess-exited-with-error|\bgyp err!|node-gyp|failed to install|unsupported engine|the engine \x22[\w-]+\x22 is incompatible|couldn't find any versions for|no candidates found",
    ),
    named(
        DependencyInstall,
        r"(cannot find (module|package)|module not found: (error: )?can't resolve) '([a-z0-9_]|@[a-z0-9])",
    ),
    // Tests ran and failed.
    named(
        FailingTests,
        r"test suites: .*\d+ failed|tests?: +\d+ failed|test files +\d+ failed|\d+ (tests? )?failed(,| \|)|exceeded timeout of \d+ ?ms for a test|^\s*(fail|failed)\s+\S+\.(test|spec)\.|^=+ .*\d+ failed|^failed \S+::|^failed \((failures|errors)=|\btest failed\b|\bassertionerror\b|expect\(received\)|^\s*[✕×✗]\s|^\s*●\s.*›",
    ),
    // The build command failed.
    named(
        BuildError,
        r"failed to compile|^found \d+ errors?\b|type error:|\berror ts\d+|\bts\d{4}:|syntaxerror|error occurred prerendering page|export encountered errors|build error occurred|rollup failed to resolve import|could not resolve \x22\.{1,2}/|(module not found: (error: )?can't resolve|cannot find module) '(\.|/|~|@/)|cannot find name '|is not assignable to|has no exported member|\[vite\]|\[astro\]|\[plugin:|✘ \[error\]|error during build|\breferenceerror\b|\btypeerror\b:|traceback \(most recent call last\)|django\.core\.exceptions|improperlyconfigured|\berror in \S|\bparse error\b|unexpected token|is not defined\b|does not provide an export named|prerender|\bnext build\b.*failed",
    ),
    generic(
        BuildError,
        r"^error[:\s]|^\s*error:|\berror\b.*:|^x |build failed|failed with exit code",
    ),
];

/// Lines every failure is wrapped in: they say a command failed, never why.
const WRAPPERS: &[&str] = &[
    r"^npm (err!|error) (code (elifecycle|1|2|127)|errno|path|workspace|location|command|syscall)\b",
    r"^npm (err!|error) (lifecycle script|failed at the|this is probably not a problem|a complete log|exit status|\S+@\S+ \w+:|command failed|signal|\s*$)",
    r"^npm (err!|error) +(at location|in workspace|command sh -c|command failed)",
    r"^error: command \x22[^\x22]+\x22 exited with \d+",
    r"command \x22[^\x22]+\x22 exited with \d+",
    r"\belifecycle\b",
    r"^error command failed with exit code \d+",
    r"^info visit https://yarnpkg",
    r"err_pnpm_recursive_(run|exec)_first_fail",
    r"^\s*at .*\(.*:\d+:\d+\)$",
    r"^error: script .* exited",
    r"^process completed with exit code",
    r"^\s*exit code:? \d+\s*$",
];

/// Markers of the command a log shows running, and the step each starts.
const STEPS: &[(BuildStep, &str)] = &[
    (
        BuildStep::Install,
        r"installing dependencies|running \x22(npm|pnpm|yarn|bun) (install|ci|i)\b|\b(npm|pnpm|bun) (install|ci|i)\b|\byarn( install)?\s*$|\byarn install\b|pip install|poetry install|running \x22install\x22 command",
    ),
    (
        BuildStep::Test,
        r"\b(npm|pnpm|yarn|bun)( run)? test\b|^> (jest|vitest|pytest)|^\s*\$ (jest|vitest)|\b(jest|vitest|pytest)\b.*(--|run|$)|running tests",
    ),
    (
        BuildStep::Build,
        r"running \x22(npm|pnpm|yarn|bun)( run)? build|running \x22build\x22 command|running build in|\b(npm|pnpm|yarn|bun)( run)? build\b|^> (next|vite|astro|nuxt|nuxi|gatsby|remix|svelte-kit|react-scripts|tsc|ng|vue-cli-service)( build)?|creating an optimized production build|collectstatic|building\.\.\.|vite v\d.* building",
    ),
    (
        BuildStep::Deploy,
        r"deploying outputs|uploading build outputs|deploying build outputs|build completed|serverless functions? (were|was) created|traced next\.js server files",
    ),
];

static SIGNAL_SET: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    SIGNALS
        .iter()
        .map(|signal| compile(&format!("(?i){}", signal.pattern)))
        .collect()
});

static WRAPPER_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(WRAPPERS.iter().map(|pattern| format!("(?i){pattern}")))
        .unwrap_or_else(|error| panic!("build log wrapper pattern: {error}"))
});

static STEP_SET: LazyLock<Vec<(BuildStep, Regex)>> = LazyLock::new(|| {
    STEPS
        .iter()
        .map(|(step, pattern)| (*step, compile(&format!("(?i){pattern}"))))
        .collect()
});

/// A Vercel timestamp (`12:01:02.345`, `[12:01:02.345]`, `2024-01-02T12:01:02.345Z`)
/// and terminal colours: noise to the reader.
static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\s*➤ YN\d{4}: (\[[^\]]+\]: )?|^\s*(\[?\d{4}-\d{2}-\d{2}T[\d:.]+Z?\]?\s+|\[?\d{1,2}:\d{2}:\d{2}(\.\d+)?( ?[AP]M)?\]?:?\s*(\|\s*)?)|\x1b\[[0-9;]*m",
    )
});

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this module, each compiled by a test.
    Regex::new(pattern).unwrap_or_else(|error| panic!("build log pattern {pattern}: {error}"))
}

/// A line as a person reads it.
fn clean(line: &str) -> String {
    NOISE.replace_all(line, "").trim().to_owned()
}

/// The strongest signal on a line, unless the line is a wrapper.
fn signal_of(line: &str) -> Option<(FailureCause, Weight)> {
    if line.is_empty() || WRAPPER_SET.is_match(line) {
        return None;
    }
    SIGNALS
        .iter()
        .zip(SIGNAL_SET.iter())
        .filter(|(_, pattern)| pattern.is_match(line))
        .map(|(signal, _)| (signal.cause, signal.weight))
        // The strongest; among equals the first, as the signals go from the causes that
        // explain others to those they explain.
        .fold(
            None,
            |best: Option<(FailureCause, Weight)>, signal| match best {
                Some(best) if best.1 >= signal.1 => Some(best),
                _ => Some(signal),
            },
        )
}

/// A wrapper's exit code that says the process was killed (137 is 128 + SIGKILL).
static KILLED: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?i)^killed$|\b(errno|exit status|exit code|exited with|code)\s*:?\s*137\b")
});

/// What a wrapper's exit code says: 137 or `Killed` is a killed process.
fn killed(line: &str) -> bool {
    KILLED.is_match(line)
}

/// Lines after the start of the failure that belong to its block.
const BLOCK: usize = 15;

/// Classifies a failed build from its log lines (in order): the cause of the block
/// where the failure starts, with up to five lines of it as evidence, the step that was
/// running, and how sure the lines are.
pub fn classify(lines: &[String]) -> FailureAnalysis {
    let cleaned: Vec<String> = lines.iter().map(|line| clean(line)).collect();
    let signals: Vec<Option<(FailureCause, Weight)>> =
        cleaned.iter().map(|line| signal_of(line)).collect();
    let found = |cause: FailureCause| {
        signals
            .iter()
            .enumerate()
            .filter(move |(_, signal)| matches!(signal, Some((found, _)) if *found == cause))
            .map(|(index, _)| index)
    };
    // Memory and time explain everything that fails after them, wherever they show.
    let cause_and_lines: Option<(FailureCause, Weight, Vec<usize>)> = [OutOfMemory, Timeout]
        .into_iter()
        .find_map(|cause| {
            let at: Vec<usize> = found(cause).collect();
            (!at.is_empty()).then_some((cause, Weight::Named, at))
        })
        .or_else(|| {
            let at: Vec<usize> = cleaned
                .iter()
                .enumerate()
                .filter(|(_, line)| killed(line))
                .map(|(index, _)| index)
                .collect();
            (!at.is_empty()).then_some((OutOfMemory, Weight::Generic, at))
        })
        .or_else(|| {
            // A variable that is not set explains the build that fails for it.
            let at: Vec<usize> = found(MissingEnvironmentVariable).collect();
            (!at.is_empty()).then_some((MissingEnvironmentVariable, Weight::Named, at))
        })
        .or_else(|| first_block(&signals));
    let Some((cause, weight, at)) = cause_and_lines else {
        return FailureAnalysis {
            cause: FailureCause::Unknown,
            step: step_before(&cleaned, cleaned.len()),
            confidence: 0.0,
            summary: FailureCause::Unknown.describe().to_owned(),
            evidence: Vec::new(),
            lines_read: lines.len(),
            model: None,
        };
    };
    let first = at.first().copied().unwrap_or(0);
    let evidence: Vec<Evidence> = at
        .iter()
        .take(5)
        .map(|&index| Evidence {
            line: index + 1,
            text: crate::review::redact(lines[index].trim()),
        })
        .collect();
    let step = step_before(&cleaned, first).or(match cause {
        DependencyInstall => Some(BuildStep::Install),
        FailingTests => Some(BuildStep::Test),
        FailureCause::Unknown => None,
        _ => Some(BuildStep::Build),
    });
    let confidence = match weight {
        Weight::Named => 0.9,
        Weight::Generic => 0.5,
    };
    let step_words = step.map_or_else(String::new, |step| {
        format!("the {} step failed: ", step.as_str())
    });
    FailureAnalysis {
        cause,
        step,
        confidence,
        summary: format!(
            "{step_words}{}: {}",
            cause.describe(),
            evidence
                .first()
                .map(|evidence| evidence.text.as_str())
                .unwrap_or_default()
        ),
        evidence,
        lines_read: lines.len(),
        model: None,
    }
}

/// The block where the failure starts: its first signal line, and the cause the block's
/// strongest line names (the earliest among equals).
fn first_block(
    signals: &[Option<(FailureCause, Weight)>],
) -> Option<(FailureCause, Weight, Vec<usize>)> {
    let start = signals.iter().position(Option::is_some)?;
    let block = &signals[start..signals.len().min(start + BLOCK)];
    let (cause, weight) = block.iter().flatten().copied().fold(
        None,
        |best: Option<(FailureCause, Weight)>, signal| match best {
            Some(best) if best.1 >= signal.1 => Some(best),
            _ => Some(signal),
        },
    )?;
    let at = signals
        .iter()
        .enumerate()
        .skip(start)
        .filter(|(_, signal)| matches!(signal, Some((found, _)) if *found == cause))
        .map(|(index, _)| index)
        .collect();
    Some((cause, weight, at))
}

/// The step whose command the log shows running last before line `before`.
fn step_before(lines: &[String], before: usize) -> Option<BuildStep> {
    lines[..before.min(lines.len())]
        .iter()
        .rev()
        .find_map(|line| {
            STEP_SET
                .iter()
                .find(|(_, pattern)| pattern.is_match(line))
                .map(|(step, _)| *step)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(SIGNAL_SET.len(), SIGNALS.len());
        assert_eq!(WRAPPER_SET.len(), WRAPPERS.len());
        assert_eq!(STEP_SET.len(), STEPS.len());
    }

    #[test]
    fn wrapper_lines_do_not_outvote_the_line_that_says_why() {
        let log = lines(
            "12:00:01.000 Running \"npm run build\"\n12:00:09.000 ./app/page.tsx:4:7\n12:00:09.001 Type error: Property 'title' does not exist on type 'Props'.\n12:00:09.100 npm error Lifecycle script `build` failed with error:\n12:00:09.101 npm error code 1\n12:00:09.102 npm error command failed\nError: Command \"npm run build\" exited with 1",
        );
        let analysis = classify(&log);
        assert_eq!(analysis.cause, BuildError, "{analysis:?}");
        assert_eq!(analysis.step, Some(BuildStep::Build));
        assert_eq!(analysis.evidence[0].line, 3);
        assert!(
            analysis.summary.starts_with("the build step failed"),
            "{}",
            analysis.summary
        );
    }

    #[test]
    fn words_are_read_in_their_context() {
        let local = classify(&lines(
            "Lockfile is up to date, resolution step is skipped\nRunning \"vite build\"\nModule not found: Error: Can't resolve './Header' in '/vercel/path0/src'",
        ));
        assert_eq!(local.cause, BuildError, "{local:?}");
        let package = classify(&lines(
            "Running \"next build\"\nModule not found: Can't resolve 'framer-motion'",
        ));
        assert_eq!(package.cause, DependencyInstall, "{package:?}");
        let test_timeout = classify(&lines(
            "> jest --ci\nFAIL src/api.test.ts\n  ● fetches › the list\n    thrown: \"Exceeded timeout of 5000 ms for a test.\"\nTests:       1 failed, 12 passed, 13 total",
        ));
        assert_eq!(test_timeout.cause, FailingTests, "{test_timeout:?}");
        assert_eq!(test_timeout.step, Some(BuildStep::Test));
    }

    #[test]
    fn a_killed_process_and_vercels_own_words_are_named() {
        let killed = classify(&lines(
            "Running \"npm run build\"\nCreating an optimized production build ...\nKilled\nError: Command \"npm run build\" exited with 137",
        ));
        assert_eq!(killed.cause, OutOfMemory, "{killed:?}");
        let secret = classify(&lines(
            "Error: Environment Variable \"DATABASE_URL\" references Secret \"database_url\", which does not exist.",
        ));
        assert_eq!(secret.cause, MissingEnvironmentVariable, "{secret:?}");
        let duration = classify(&lines(
            "Building...\nBuild exceeded maximum duration of 45 minutes",
        ));
        assert_eq!(duration.cause, Timeout, "{duration:?}");
        let pip = classify(&lines(
            "Running \"pip install -r requirements.txt\"\nERROR: Could not find a version that satisfies the requirement torch==9.9 (from versions: none)\nERROR: No matching distribution found for torch==9.9",
        ));
        assert_eq!(pip.cause, DependencyInstall, "{pip:?}");
        assert_eq!(pip.step, Some(BuildStep::Install));
    }

    #[test]
    fn a_model_changes_the_answer_only_with_a_quoted_line_and_a_reason() {
        let log = lines(
            "Running \"npm run build\"\nError occurred prerendering page \"/home\"\nTypeError: Cannot read properties of undefined (reading 'endsWith')\n    at f (.next/server/chunks/993.js:1:1263)\nError: Command \"npm run build\" exited with 1",
        );
        let block = error_block(&log);
        assert_eq!(block[0], (1, "Running \"npm run build\"".to_owned()));
        let answer = |cause: &str, quote: &str, reason: &str| ModelAnswer {
            cause: cause.into(),
            reason: reason.into(),
            quote: quote.into(),
        };
        let env = "missing_environment_variable";
        let reason = "a configuration value read from the environment is undefined";
        for (quote, reason, note) in [
            (
                "Command \"npm run build\" exited with 1",
                reason,
                "quoted no line",
            ),
            ("a line the log never had", reason, "quoted no line"),
            ("(reading 'endsWith')", "", "gave no reason"),
        ] {
            let mut analysis = classify(&log);
            weigh(&mut analysis, &answer(env, quote, reason), &block);
            assert_eq!(analysis.cause, BuildError, "{quote}");
            let reading = analysis.model.expect("recorded");
            assert!(!reading.accepted);
            assert!(
                reading.note.is_some_and(|text| text.contains(note)),
                "{quote}"
            );
        }
        let mut analysis = classify(&log);
        weigh(
            &mut analysis,
            &answer(env, "(reading 'endsWith')", reason),
            &block,
        );
        assert_eq!(analysis.cause, MissingEnvironmentVariable);
        assert_eq!(analysis.evidence[0].line, 3);
        assert!(analysis.summary.contains(reason), "{}", analysis.summary);
        assert!(analysis.model.is_some_and(|reading| reading.accepted));
    }
}
