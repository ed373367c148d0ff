//! The secret rules — provider tokens with a known shape, private-key blocks, JWTs,
//! credentials in URLs and bearer headers, and high-entropy values assigned to
//! secret-named variables — with the allowlist that keeps them quiet on placeholders,
//! documentation examples, hashes, UUIDs, environment lookups, lockfiles and test
//! fixtures; and [`redact`] and [`mask`], which hide the values these rules find.
//!
//! The rule set is modelled on gitleaks' default configuration (shapes, keywords,
//! entropy thresholds) but written for this engine.
//!
//! Cost: every line first meets one combined keyword regex ([`SECRET_KEYWORDS`]); only
//! lines that mention a keyword are matched against the rules.
//!
//! Test and fixture paths: the generic rules (assignments, URLs, bearer headers) and
//! JWTs are skipped there, since tests are full of fake credentials; provider tokens
//! and private keys with a valid shape are still reported, at `low`, because a live
//! token committed into a fixture is as exposed as one committed anywhere else.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::paths::{self, FileKind};
use super::{Category, Finding, Severity};

/// One line costs this one check: it mentions some keyword of some rule, or it cannot
/// hold a secret any rule would flag.
static SECRET_KEYWORDS: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9]|gh[pousr]_|github_pat_|gl(?:pat|ptt|rt|dt)-|xox[bpe]-|",
        r"xapp-|hooks\.slack\.com|[sr]k_live_|AIza|SK[0-9a-fA-F]{32}|SG\.|npm_|pypi-|",
        r"sk-|AccountKey=|hf_|_auth|(?i:basic|dd_|datadog)|",
        r"-----BEGIN|eyJ|://[^\s/@]+@|",
        r"(?i:twilio|pass(?:word|wd|phrase)|secret|token|api[_.\-]?key|access[_.\-]?key|",
        r"auth[_.\-]?key|private[_.\-]?key|signing[_.\-]?key|encryption[_.\-]?key|",
        r"master[_.\-]?key|credential|bearer)"
    ))
});

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this module, checked by `every_pattern_compiles`.
    Regex::new(pattern).unwrap_or_else(|error| panic!("secret rule pattern: {error}"))
}

/// Extra validation a provider rule's match must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShapeCheck {
    None,
    /// The header segment decodes to a JSON object naming `alg` or `typ`.
    JsonWebToken,
    /// The file mentions Twilio (the word or an `AC…` account SID).
    TwilioContext,
    /// The file mentions AWS (the word or an access key ID).
    AwsContext,
}

/// A rule for a secret with a known shape.
struct ProviderRule {
    id: &'static str,
    kind: &'static str,
    severity: Severity,
    /// Case-sensitive literals; the rule runs only on lines containing one of them.
    keywords: &'static [&'static str],
    /// The secret is the capture group named `secret`.
    pattern: Regex,
    minimum_entropy: f64,
    shape_check: ShapeCheck,
    /// Skipped in test paths instead of being lowered to `low`.
    skipped_in_tests: bool,
}

struct ProviderRuleSpecification {
    id: &'static str,
    kind: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    pattern: &'static str,
    minimum_entropy: f64,
    shape_check: ShapeCheck,
    skipped_in_tests: bool,
}

const fn rule(
    id: &'static str,
    kind: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    pattern: &'static str,
    minimum_entropy: f64,
) -> ProviderRuleSpecification {
    ProviderRuleSpecification {
        id,
        kind,
        severity,
        keywords,
        pattern,
        minimum_entropy,
        shape_check: ShapeCheck::None,
        skipped_in_tests: false,
    }
}

/// The provider rules, in the order they are tried; a later rule's match that overlaps
/// an earlier one's is dropped.
const PROVIDER_RULE_SPECIFICATIONS: &[ProviderRuleSpecification] = &[
    rule(
        "aws-access-key-id",
        "AWS access key ID",
        Severity::High,
        &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
        r"\b(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b",
        3.0,
    ),
    rule(
        "aws-secret-access-key",
        "AWS secret access key",
        Severity::Critical,
        &["ecret", "ECRET"],
        r#"(?i)(?:aws[\w.\-]*secret|secret[_.\-]?access[_.\-]?key)[\w.\-]*["']?\s*(?::=|=>|=|:)\s*["']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        3.0,
    ),
    ProviderRuleSpecification {
        shape_check: ShapeCheck::AwsContext,
        ..rule(
            "aws-secret-access-key",
            "AWS secret access key",
            Severity::Critical,
            &["ecret", "ECRET"],
            r#"(?i)secret[_.\-]?key["']?\s*(?::=|=>|=|:)\s*["']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
            3.0,
        )
    },
    rule(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        Severity::Critical,
        &["github_pat_"],
        r"\b(?P<secret>github_pat_[0-9A-Za-z_]{82})\b",
        3.0,
    ),
    rule(
        "github-pat",
        "GitHub personal access token (classic)",
        Severity::Critical,
        &["ghp_"],
        r"\b(?P<secret>ghp_[0-9A-Za-z]{36})\b",
        3.0,
    ),
    rule(
        "github-oauth-token",
        "GitHub OAuth access token",
        Severity::Critical,
        &["gho_"],
        r"\b(?P<secret>gho_[0-9A-Za-z]{36})\b",
        3.0,
    ),
    rule(
        "github-app-token",
        "GitHub App user-to-server or server-to-server token",
        Severity::Critical,
        &["ghu_", "ghs_"],
        r"\b(?P<secret>gh[us]_[0-9A-Za-z]{36})\b",
        3.0,
    ),
    rule(
        "github-refresh-token",
        "GitHub refresh token",
        Severity::High,
        &["ghr_"],
        r"\b(?P<secret>ghr_[0-9A-Za-z]{36,76})\b",
        3.0,
    ),
    rule(
        "gitlab-pat",
        "GitLab personal access token",
        Severity::Critical,
        &["glpat-"],
        r"\b(?P<secret>glpat-[0-9A-Za-z_\-]{20}[0-9A-Za-z_\-.]{0,60})",
        3.0,
    ),
    rule(
        "gitlab-token",
        "GitLab pipeline-trigger, runner or deploy token",
        Severity::High,
        &["glptt-", "glrt-", "gldt-"],
        r"\b(?P<secret>gl(?:ptt|rt|dt)-[0-9A-Za-z_\-]{20}[0-9A-Za-z_\-.]{0,60})",
        3.0,
    ),
    rule(
        "slack-bot-token",
        "Slack bot token",
        Severity::High,
        &["xoxb-"],
        r"\b(?P<secret>xoxb-[0-9]{8,14}-(?:[0-9]{8,14}-)?[A-Za-z0-9]{18,40})\b",
        3.0,
    ),
    rule(
        "slack-user-token",
        "Slack user token",
        Severity::High,
        &["xoxp-", "xoxe-"],
        r"\b(?P<secret>xox[pe](?:-[0-9]{8,14}){3}-[A-Za-z0-9]{28,64})\b",
        3.0,
    ),
    rule(
        "slack-app-token",
        "Slack app-level token",
        Severity::High,
        &["xapp-"],
        r"(?i)\b(?P<secret>xapp-[0-9]-[A-Z0-9]{8,14}-[0-9]{10,14}-[a-z0-9]{32,80})\b",
        3.0,
    ),
    rule(
        "slack-webhook-url",
        "Slack incoming-webhook URL",
        Severity::Medium,
        &["hooks.slack.com"],
        r"(?P<secret>hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,64})",
        3.5,
    ),
    rule(
        "stripe-live-secret-key",
        "Stripe live secret key",
        Severity::Critical,
        &["sk_live_"],
        r"\b(?P<secret>sk_live_[0-9A-Za-z]{24,99})\b",
        3.0,
    ),
    rule(
        "stripe-restricted-key",
        "Stripe live restricted key",
        Severity::High,
        &["rk_live_"],
        r"\b(?P<secret>rk_live_[0-9A-Za-z]{24,99})\b",
        3.0,
    ),
    rule(
        "google-api-key",
        "Google API key",
        Severity::High,
        &["AIza"],
        r"(?:^|[^0-9A-Za-z_\-])(?P<secret>AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
        3.0,
    ),
    ProviderRuleSpecification {
        shape_check: ShapeCheck::TwilioContext,
        ..rule(
            "twilio-api-key",
            "Twilio API key",
            Severity::High,
            &["SK"],
            r"\b(?P<secret>SK[0-9a-fA-F]{32})\b",
            3.0,
        )
    },
    ProviderRuleSpecification {
        shape_check: ShapeCheck::TwilioContext,
        ..rule(
            "twilio-auth-token",
            "Twilio auth token",
            Severity::High,
            &["uth", "UTH", "wilio", "WILIO"],
            r#"(?i)(?:twilio[\w.\-]*|auth[_.\-]?token)[\w.\-]*["']?\s*(?::=|=>|=|:)\s*["']?(?P<secret>[0-9a-f]{32})\b"#,
            3.0,
        )
    },
    rule(
        "sendgrid-api-key",
        "SendGrid API key",
        Severity::High,
        &["SG."],
        r"(?:^|[^0-9A-Za-z_\-.])(?P<secret>SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43})(?:[^0-9A-Za-z_\-]|$)",
        3.0,
    ),
    rule(
        "npm-access-token",
        "npm access token",
        Severity::Critical,
        &["npm_"],
        r"\b(?P<secret>npm_[0-9A-Za-z]{36})\b",
        3.0,
    ),
    rule(
        "openai-api-key",
        "OpenAI API key",
        Severity::Critical,
        &["sk-"],
        r"(?:^|[^A-Za-z0-9_\-])(?P<secret>sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}))",
        3.5,
    ),
    rule(
        "anthropic-api-key",
        "Anthropic API key",
        Severity::Critical,
        &["sk-ant-"],
        r"\b(?P<secret>sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{80,})",
        3.5,
    ),
    rule(
        "azure-storage-account-key",
        "Azure storage account key",
        Severity::Critical,
        &["AccountKey="],
        r"AccountKey=(?P<secret>[A-Za-z0-9+/]{80,}={0,2})",
        3.5,
    ),
    rule(
        "huggingface-token",
        "Hugging Face access token",
        Severity::High,
        &["hf_"],
        r"\b(?P<secret>hf_[A-Za-z]{34})\b",
        3.0,
    ),
    rule(
        "authorization-basic-credentials",
        "HTTP Basic credentials",
        Severity::High,
        &["Basic", "basic", "BASIC"],
        r"(?i:authorization)[\x22']?\s*[:=]\s*[\x22']?(?i:basic)\s+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})",
        2.5,
    ),
    rule(
        "npm-auth-token",
        "npm registry auth token",
        Severity::Critical,
        &["_authToken", "_auth"],
        r"_auth(?:Token)?\s*=\s*[\x22']?(?P<secret>[A-Za-z0-9+/_\-.=]{20,})",
        3.0,
    ),
    rule(
        "datadog-api-key",
        "Datadog API or application key",
        Severity::High,
        &["DD_", "dd_", "datadog", "Datadog", "DATADOG"],
        r"(?i:\b(?:dd|datadog)[_\-]?(?:api|app|application)[_\-]?key)[\x22']?\s*(?::=|=>|=|:)\s*[\x22']?(?P<secret>[a-f0-9]{32}(?:[a-f0-9]{8})?)\b",
        3.0,
    ),
    rule(
        "pypi-upload-token",
        "PyPI upload token",
        Severity::Critical,
        &["pypi-AgEIcHlwaS5vcmc"],
        r"(?P<secret>pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_\-]{50,})",
        3.0,
    ),
    ProviderRuleSpecification {
        shape_check: ShapeCheck::JsonWebToken,
        skipped_in_tests: true,
        ..rule(
            "jwt",
            "JSON Web Token",
            Severity::Medium,
            &["eyJ"],
            r"(?:^|[^0-9A-Za-z_\-])(?P<secret>eyJ[0-9A-Za-z_\-]{10,}\.eyJ[0-9A-Za-z_\-]{10,}\.[0-9A-Za-z_\-]{16,})",
            3.0,
        )
    },
];

static PROVIDER_RULES: LazyLock<Vec<ProviderRule>> = LazyLock::new(|| {
    PROVIDER_RULE_SPECIFICATIONS
        .iter()
        .map(|specification| ProviderRule {
            id: specification.id,
            kind: specification.kind,
            severity: specification.severity,
            keywords: specification.keywords,
            pattern: compile(specification.pattern),
            minimum_entropy: specification.minimum_entropy,
            shape_check: specification.shape_check,
            skipped_in_tests: specification.skipped_in_tests,
        })
        .collect()
});

/// A value assigned to a secret-named key: `password = "…"`, `API_TOKEN=…`,
/// `"client_secret": "…"`, `apiKey: '…'`, `const TOKEN: &str = "…"`, `db.password=…`.
static GENERIC_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?i)(?P<key>[a-z0-9_.\-]*(?:password|passwd|passphrase|secret|token|",
        r"api[_.\-]?key|access[_.\-]?key|auth[_.\-]?key|private[_.\-]?key|signing[_.\-]?key|",
        r"encryption[_.\-]?key|master[_.\-]?key|credentials?)[a-z0-9_.\-]*)",
        r#"["'\]]?(?:\s*:\s*&?(?:'static\s+)?[a-z_][a-z0-9_:<>]*)?\s*(?::=|=>|=|:)\s*"#,
        r#"(?:(?:[bBrRuU]{1,2})?"(?P<double>[^"\s\\]*)"|(?:[bBrRuU]{1,2})?'(?P<single>[^'\s\\]*)'|`(?P<backtick>[^`\s\\]*)`|"#,
        r#"(?P<bare>[^\s"'`,;)\]}>]+))"#
    ))
});

/// `Authorization: Bearer <token>` and the like.
static BEARER_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9\-._~+/]{20,}=*)"));

/// `scheme://user:password@host`.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r#"(?i)\b[a-z][a-z0-9+.\-]{1,20}://(?P<user>[^\s:/@"'`]{0,64}):(?P<secret>[^\s:/@"'`]{1,128})@(?P<host>[^\s/"'`@:?#]+)"#,
    )
});

/// The header line of a PEM private-key block.
static PRIVATE_KEY_HEADER: LazyLock<Regex> =
    LazyLock::new(|| compile(r"-----BEGIN[ A-Z0-9_\-]{0,100}PRIVATE KEY(?: BLOCK)?-----"));

/// A line of a PEM body (base64).
static PEM_BODY_RUN: LazyLock<Regex> = LazyLock::new(|| compile(r"[A-Za-z0-9+/=]{40,}"));

/// A whole PEM private-key block, for redaction.
static PRIVATE_KEY_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?s)(?P<header>-----BEGIN[ A-Z0-9_\-]{0,100}PRIVATE KEY(?: BLOCK)?-----)",
        r"(?P<body>.*?)",
        r"(?P<footer>-----END[ A-Z0-9_\-]{0,100}PRIVATE KEY(?: BLOCK)?-----|\z)"
    ))
});

/// Twilio account SIDs, which mark a file as Twilio configuration.
static TWILIO_ACCOUNT_SID: LazyLock<Regex> = LazyLock::new(|| compile(r"\bAC[0-9a-f]{32}\b"));

/// Reads the environment or a secret manager: the generic rules skip such lines.
static ENVIRONMENT_LOOKUP: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?i)os\.environ|os\.getenv|getenv\(|process\.env|env::var|env!\(|std::env|",
        r"System\.getenv|ENV\[|ENV\.fetch|Environment\.GetEnvironmentVariable|viper\.Get|",
        r"secretsmanager|secret_manager|SecretManager|vault\.|ssm\.get_parameter|valueFrom|",
        r"secretKeyRef|\{\{\s*secrets\.|\$\{\{|keyring\.|config\.get\(|settings\.[A-Z_]+\b|import\.meta\.env"
    ))
});

/// Integrity strings and digests with an algorithm prefix.
static DIGEST_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?i)\b(?:sha1|sha224|sha256|sha384|sha512|md5|blake2b|blake3|h1)[:\-]")
});

/// Words that mark a value as a placeholder, an example or test data.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "xxxx",
    "****",
    "....",
    "…",
    "example",
    "dummy",
    "fake",
    "sample",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "your",
    "redacted",
    "insert",
    "test",
    "mock",
    "todo",
    "fixme",
    "none",
    "null",
    "undefined",
    "secret_here",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "%(",
    "%s",
    "{}",
    "{0}",
];

/// Documentation examples that are published as such.
const DOCUMENTATION_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    // GitHub's documentation example for OAuth and user access tokens.
    "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "ghu_16C7e42F292c6912E7710c838347Ae178B4a",
];

/// Prefixes of values that are public by design (publishable keys shipped to browsers).
const PUBLIC_BY_DESIGN_PREFIXES: &[&str] = &["pk_live_", "pk_test_", "phc_", "pk.eyJ"];

/// Key names that contain a secret word but name something that is not a secret.
const NON_SECRET_KEY_ENDINGS: &[&str] = &[
    "url",
    "uri",
    "endpoint",
    "path",
    "file",
    "filename",
    "dir",
    "name",
    "type",
    "id",
    "ids",
    "field",
    "length",
    "len",
    "count",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "expiresat",
    "expiresin",
    "header",
    "prefix",
    "env",
    "var",
    "mode",
    "size",
    "limit",
    "format",
    "policy",
    "version",
    "hint",
    "label",
    "regex",
    "pattern",
    "hash",
    "hashed",
    "digest",
    "algorithm",
    "alg",
    "kind",
    "index",
    "param",
    "column",
    "table",
    "enabled",
    "required",
    "ref",
    "location",
    "provider",
    "source",
    "timeout",
    "duration",
    "lifetime",
    "rotation",
    "scope",
    "scopes",
    "audience",
    "issuer",
    "tokens",
    "tokenizer",
    "placeholder",
    "manager",
    "store",
    "service",
    "client",
    "key",
];

/// Common development passwords in connection URLs.
const DEVELOPMENT_PASSWORDS: &[&str] = &[
    "password",
    "pass",
    "passwd",
    "postgres",
    "root",
    "admin",
    "guest",
    "secret",
    "dev",
    "development",
    "local",
    "test",
    "example",
    "user",
    "mysql",
    "redis",
    "rabbitmq",
];

/// One secret found on one line: byte offsets of the value in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMatch {
    pub rule: &'static str,
    pub kind: &'static str,
    pub severity: Severity,
    pub start: usize,
    pub end: usize,
    /// For the generic rule: the secret-named key the value was assigned to.
    pub key: Option<String>,
}

/// What the rules know about the file a line comes from.
#[derive(Debug, Clone, Copy)]
pub struct LineContext {
    pub file_kind: FileKind,
    pub is_test_path: bool,
    pub mentions_twilio: bool,
    pub mentions_aws: bool,
    /// Redaction reads every line as configuration text and ignores the path.
    pub for_redaction: bool,
}

impl LineContext {
    fn for_redaction() -> LineContext {
        LineContext {
            file_kind: FileKind::Other,
            is_test_path: false,
            mentions_twilio: true,
            mentions_aws: true,
            for_redaction: true,
        }
    }
}

/// Every secret on `line` that some rule flags.
pub fn find_secrets_in_line(line: &str, context: &LineContext) -> Vec<SecretMatch> {
    let mut matches = Vec::new();
    if !SECRET_KEYWORDS.is_match(line) {
        return matches;
    }
    // Provider-shaped values on an allowlist (documentation examples, placeholders)
    // stay quiet for the generic rules too; they are dropped before returning.
    find_provider_secrets(line, context, &mut matches);
    if !context.is_test_path || context.for_redaction {
        find_url_credentials(line, &mut matches);
        find_bearer_tokens(line, &mut matches);
        find_generic_assignments(line, context, &mut matches);
    }
    matches.retain(|found| found.rule != ALLOWLISTED);
    matches.sort_by_key(|found| found.start);
    matches
}

/// The rule name of a provider-shaped value that the allowlist accepted.
const ALLOWLISTED: &str = "";

fn overlaps_existing(matches: &[SecretMatch], start: usize, end: usize) -> bool {
    matches
        .iter()
        .any(|existing| start < existing.end && existing.start < end)
}

fn find_provider_secrets(line: &str, context: &LineContext, matches: &mut Vec<SecretMatch>) {
    for provider_rule in PROVIDER_RULES.iter() {
        if !provider_rule
            .keywords
            .iter()
            .any(|keyword| line.contains(keyword))
        {
            continue;
        }
        if provider_rule.skipped_in_tests && context.is_test_path && !context.for_redaction {
            continue;
        }
        if (provider_rule.shape_check == ShapeCheck::TwilioContext && !context.mentions_twilio)
            || (provider_rule.shape_check == ShapeCheck::AwsContext && !context.mentions_aws)
        {
            continue;
        }
        for captures in provider_rule.pattern.captures_iter(line) {
            let Some(secret) = captures.name("secret") else {
                continue;
            };
            let value = secret.as_str();
            if overlaps_existing(matches, secret.start(), secret.end()) {
                continue;
            }
            if shannon_entropy(value) < provider_rule.minimum_entropy
                || is_allowlisted_token(value)
                || (provider_rule.shape_check == ShapeCheck::JsonWebToken
                    && !is_plausible_json_web_token(value))
            {
                matches.push(SecretMatch {
                    rule: ALLOWLISTED,
                    kind: ALLOWLISTED,
                    severity: Severity::Info,
                    start: secret.start(),
                    end: secret.end(),
                    key: None,
                });
                continue;
            }
            let severity = if context.is_test_path {
                Severity::Low
            } else {
                provider_rule.severity
            };
            matches.push(SecretMatch {
                rule: provider_rule.id,
                kind: provider_rule.kind,
                severity,
                start: secret.start(),
                end: secret.end(),
                key: None,
            });
        }
    }
}

fn find_url_credentials(line: &str, matches: &mut Vec<SecretMatch>) {
    if !line.contains("://") || !line.contains('@') {
        return;
    }
    for captures in URL_CREDENTIALS.captures_iter(line) {
        let (Some(user), Some(secret), Some(host)) = (
            captures.name("user"),
            captures.name("secret"),
            captures.name("host"),
        ) else {
            continue;
        };
        let password = secret.as_str();
        let lower_password = password.to_ascii_lowercase();
        let lower_host = host.as_str().to_ascii_lowercase();
        let is_local_host = matches!(
            lower_host.as_str(),
            "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]" | "host.docker.internal"
        ) || lower_host.ends_with(".localhost")
            || lower_host.ends_with(".example.com")
            || lower_host.ends_with(".example")
            || lower_host == "example.com";
        if password.len() < 6
            || password == user.as_str()
            || is_local_host
            || DEVELOPMENT_PASSWORDS.contains(&lower_password.as_str())
            || shannon_entropy(password) < 2.5
            || is_placeholder(password)
            || password.starts_with('$')
            || password.starts_with('%')
            || overlaps_existing(matches, secret.start(), secret.end())
        {
            continue;
        }
        matches.push(SecretMatch {
            rule: "url-embedded-credentials",
            kind: "password embedded in a URL",
            severity: Severity::High,
            start: secret.start(),
            end: secret.end(),
            key: None,
        });
    }
}

fn find_bearer_tokens(line: &str, matches: &mut Vec<SecretMatch>) {
    if !line
        .as_bytes()
        .windows(6)
        .any(|window| window.eq_ignore_ascii_case(b"bearer"))
    {
        return;
    }
    for captures in BEARER_TOKEN.captures_iter(line) {
        let Some(secret) = captures.name("secret") else {
            continue;
        };
        let value = secret.as_str();
        if overlaps_existing(matches, secret.start(), secret.end())
            || !is_plausible_generic_value(value, false)
        {
            continue;
        }
        matches.push(SecretMatch {
            rule: "authorization-bearer-token",
            kind: "bearer token in an Authorization header",
            severity: Severity::High,
            start: secret.start(),
            end: secret.end(),
            key: None,
        });
    }
}

fn find_generic_assignments(line: &str, context: &LineContext, matches: &mut Vec<SecretMatch>) {
    if !context.for_redaction && ENVIRONMENT_LOOKUP.is_match(line) {
        return;
    }
    if DIGEST_PREFIX.is_match(line) {
        return;
    }
    let quoted_only = context.file_kind.is_programming_language() && !context.for_redaction;
    for captures in GENERIC_ASSIGNMENT.captures_iter(line) {
        let Some(key) = captures.name("key") else {
            continue;
        };
        let value = match (
            captures.name("double"),
            captures.name("single"),
            captures.name("backtick"),
            captures.name("bare"),
        ) {
            (Some(value), _, _, _) | (_, Some(value), _, _) | (_, _, Some(value), _) => value,
            (_, _, _, Some(value)) if !quoted_only => value,
            _ => continue,
        };
        let key_text = key.as_str();
        if is_non_secret_key(key_text) {
            continue;
        }
        let value_text = value.as_str();
        if PUBLIC_BY_DESIGN_PREFIXES
            .iter()
            .any(|prefix| value_text.starts_with(prefix))
        {
            continue;
        }
        let is_password_key = {
            let lower = key_text.to_ascii_lowercase();
            lower.contains("pass")
        };
        if overlaps_existing(matches, value.start(), value.end())
            || !is_plausible_generic_value(value_text, is_password_key)
        {
            continue;
        }
        matches.push(SecretMatch {
            rule: "generic-secret",
            kind: "hard-coded secret",
            severity: Severity::High,
            start: value.start(),
            end: value.end(),
            key: Some(key_text.to_string()),
        });
    }
}

/// The key names a secret (`password`, `api_key`, `clientSecret`) rather than something
/// about one (`token_url`, `password_min_length`, `secretName`).
fn is_non_secret_key(key: &str) -> bool {
    let normalised: String = key
        .chars()
        .filter(|character| character.is_ascii_alphanumeric())
        .map(|character| character.to_ascii_lowercase())
        .collect();
    let is_exact_secret_word = matches!(
        normalised.as_str(),
        "apikey" | "accesskey" | "authkey" | "privatekey" | "signingkey" | "encryptionkey"
    ) || normalised.ends_with("apikey")
        || normalised.ends_with("secretkey")
        || normalised.ends_with("accesskey")
        || normalised.ends_with("privatekey")
        || normalised.ends_with("signingkey")
        || normalised.ends_with("encryptionkey")
        || normalised.ends_with("masterkey")
        || normalised.ends_with("authkey");
    if normalised.contains("public") || normalised.contains("publishable") {
        return true;
    }
    if is_exact_secret_word {
        return false;
    }
    NON_SECRET_KEY_ENDINGS
        .iter()
        .any(|ending| normalised.ends_with(ending))
}

/// The allowlist for values of the generic rules: long enough, random-looking, not a
/// placeholder, hash, UUID, path, URL, identifier or variable reference.
fn is_plausible_generic_value(value: &str, is_password_key: bool) -> bool {
    let (minimum_length, minimum_entropy) = if is_password_key { (8, 3.0) } else { (10, 3.5) };
    if value.len() < minimum_length || value.len() > 200 {
        return false;
    }
    let first = value.as_bytes().first().copied().unwrap_or(b' ');
    if matches!(
        first,
        b'$' | b'%' | b'{' | b'<' | b'!' | b'@' | b'&' | b'*' | b'#' | b'/' | b'.' | b'~' | b'('
    ) {
        return false;
    }
    if value.contains("://")
        || value.contains("(")
        || is_placeholder(value)
        || is_hex_digest(value)
        || is_uuid(value)
        || looks_like_identifier(value)
        || looks_like_slug(value)
        || has_placeholder_run(value)
        || shannon_entropy(value) < minimum_entropy
    {
        return false;
    }
    let has_digit = value.bytes().any(|byte| byte.is_ascii_digit());
    let has_base64_symbol = value.bytes().any(|byte| matches!(byte, b'+' | b'/' | b'='));
    let has_both_cases = value.bytes().any(|byte| byte.is_ascii_uppercase())
        && value.bytes().any(|byte| byte.is_ascii_lowercase());
    has_digit || (has_base64_symbol && value.len() >= 16) || (has_both_cases && value.len() >= 32)
}

/// The allowlist for provider tokens: published examples, placeholders and runs like
/// `xxxxxx`, `123456`, `abcdef`.
fn is_allowlisted_token(value: &str) -> bool {
    DOCUMENTATION_EXAMPLES
        .iter()
        .any(|example| value.contains(example))
        || value.ends_with("EXAMPLE")
        || value.ends_with("EXAMPLEKEY")
        || is_placeholder(value)
        || has_placeholder_run(value)
}

/// Contains a placeholder word or template syntax (case-insensitive).
pub fn is_placeholder(value: &str) -> bool {
    let lower: Cow<'_, str> = if value.bytes().any(|byte| byte.is_ascii_uppercase()) {
        Cow::Owned(value.to_ascii_lowercase())
    } else {
        Cow::Borrowed(value)
    };
    PLACEHOLDER_MARKERS
        .iter()
        .any(|marker| lower.contains(marker))
}

/// Six or more identical characters, or six consecutive ascending or descending ones
/// (`aaaaaa`, `123456`, `abcdef`, `987654`): typed by a person, not generated.
fn has_placeholder_run(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut same = 1;
    let mut ascending = 1;
    let mut descending = 1;
    for pair in bytes.windows(2) {
        let (previous, current) = (pair[0], pair[1]);
        let both_alphanumeric = previous.is_ascii_alphanumeric() && current.is_ascii_alphanumeric();
        same = if current == previous { same + 1 } else { 1 };
        ascending = if both_alphanumeric && current == previous.wrapping_add(1) {
            ascending + 1
        } else {
            1
        };
        descending = if both_alphanumeric && current.wrapping_add(1) == previous {
            descending + 1
        } else {
            1
        };
        if same >= 6 || ascending >= 6 || descending >= 6 {
            return true;
        }
    }
    false
}

/// A hex digest: 32 (MD5), 40 (SHA-1), 64 (SHA-256) or 128 (SHA-512) hex characters.
fn is_hex_digest(value: &str) -> bool {
    matches!(value.len(), 32 | 40 | 64 | 128) && value.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// `8-4-4-4-12` hex digits.
fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, length)| {
            group.len() == length && group.bytes().all(|byte| byte.is_ascii_hexdigit())
        })
}

/// A reference to code rather than a literal: `config.api_token`, `getToken`,
/// `DATABASE_PASSWORD`, `self.secret`.
fn looks_like_identifier(value: &str) -> bool {
    let is_dotted_path = value.contains('.')
        && value.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|byte| byte.is_ascii_alphabetic() || byte == b'_')
        });
    let is_constant_name = value
        .bytes()
        .all(|byte| byte.is_ascii_uppercase() || byte == b'_' || byte.is_ascii_digit())
        && value.contains('_');
    let is_camel_case_words = value.bytes().all(|byte| byte.is_ascii_alphabetic())
        && value
            .bytes()
            .filter(|byte| byte.is_ascii_uppercase())
            .count()
            <= value.len() / 4;
    is_dotted_path || is_constant_name || is_camel_case_words
}

/// Words joined by `-`, `_` or `.` (`prod-db-credentials-2024`): a name, not a secret.
fn looks_like_slug(value: &str) -> bool {
    let parts: Vec<&str> = value.split(['-', '_', '.']).collect();
    parts.len() >= 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && (part.bytes().all(|byte| byte.is_ascii_lowercase())
                    || part.bytes().all(|byte| byte.is_ascii_uppercase())
                    || part.bytes().all(|byte| byte.is_ascii_digit()))
        })
}

/// Shannon entropy in bits per character over the value's bytes.
pub fn shannon_entropy(value: &str) -> f64 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for byte in value.bytes() {
        counts[usize::from(byte)] += 1;
    }
    let length = value.len() as f64;
    counts
        .iter()
        .filter(|count| **count > 0)
        .map(|count| {
            let probability = f64::from(*count) / length;
            -probability * probability.log2()
        })
        .sum()
}

/// A JWT whose header decodes to a JSON object with `alg` or `typ`, and which is not
/// the example from jwt.io's documentation.
fn is_plausible_json_web_token(token: &str) -> bool {
    let mut segments = token.split('.');
    let (Some(header), Some(payload)) = (segments.next(), segments.next()) else {
        return false;
    };
    let Some(header_bytes) = decode_base64_url(header) else {
        return false;
    };
    let header_text = String::from_utf8_lossy(&header_bytes);
    let is_json_header = header_text.trim_start().starts_with('{')
        && (header_text.contains("\"alg\"") || header_text.contains("\"typ\""));
    let payload_text = decode_base64_url(payload)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let is_documentation_example =
        payload_text.contains("John Doe") || payload_text.contains("\"sub\":\"1234567890\"");
    is_json_header && !is_documentation_example
}

/// Decodes unpadded base64url (also accepts the standard alphabet); `None` on a
/// character outside both alphabets.
fn decode_base64_url(text: &str) -> Option<Vec<u8>> {
    let mut output = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            output.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(output)
}

/// Whether the file mentions Twilio: its path, the word, or an account SID.
fn mentions_twilio(path: &str, surrounding_text: &str) -> bool {
    let contains_word = |text: &str| {
        text.as_bytes()
            .windows(6)
            .any(|window| window.eq_ignore_ascii_case(b"twilio"))
    };
    contains_word(path)
        || contains_word(surrounding_text)
        || TWILIO_ACCOUNT_SID.is_match(surrounding_text)
}

/// Whether the file mentions AWS: its path, the word, or an access key ID.
fn mentions_aws(path: &str, surrounding_text: &str) -> bool {
    let contains_word = |text: &str| {
        text.as_bytes()
            .windows(3)
            .any(|window| window.eq_ignore_ascii_case(b"aws"))
    };
    contains_word(path) || contains_word(surrounding_text) || surrounding_text.contains("AKIA")
}

/// Secret findings on `lines` (line number, text) of the file at `path`.
/// `surrounding_text` is the whole patch or file, read for context (Twilio, AWS);
/// lines from `test_code_from_line` on are test code (a Rust `#[cfg(test)]` module).
pub fn scan_lines(
    path: &str,
    lines: &[(u32, &str)],
    surrounding_text: &str,
    test_code_from_line: Option<u32>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if paths::is_lockfile(path) || paths::is_generated_or_vendored(path) {
        return findings;
    }
    let is_test_path = paths::is_test_path(path);
    let mut context = LineContext {
        file_kind: paths::file_kind(path),
        is_test_path,
        mentions_twilio: false,
        mentions_aws: false,
        for_redaction: false,
    };
    if surrounding_text.contains("SK") || surrounding_text.contains("uth") {
        context.mentions_twilio = mentions_twilio(path, surrounding_text);
    }
    if surrounding_text.contains("ecret") || surrounding_text.contains("ECRET") {
        context.mentions_aws = mentions_aws(path, surrounding_text);
    }
    let test_context = LineContext {
        is_test_path: true,
        ..context
    };
    for (index, (line_number, line)) in lines.iter().enumerate() {
        let is_test_line =
            is_test_path || test_code_from_line.is_some_and(|start| *line_number >= start);
        if line.contains("-----BEGIN")
            && let Some(header) = PRIVATE_KEY_HEADER.find(line)
            && private_key_body_follows(lines, index, header.end())
        {
            findings.push(private_key_finding(
                path,
                *line_number,
                header.as_str(),
                is_test_line,
            ));
        }
        let line_context = if is_test_line {
            &test_context
        } else {
            &context
        };
        for found in find_secrets_in_line(line, line_context) {
            let value = line.get(found.start..found.end).unwrap_or_default();
            findings.push(Finding {
                path: path.to_string(),
                line: Some(*line_number),
                category: Category::Secret,
                rule: found.rule.to_string(),
                severity: found.severity,
                message: secret_message(&found, value, is_test_line),
            });
        }
    }
    findings
}

/// A real key has a base64 body: on the header's own line (a `\n`-escaped string), or on
/// one of the next added lines that continue the block.
fn private_key_body_follows(lines: &[(u32, &str)], header_index: usize, header_end: usize) -> bool {
    let is_random_body = |text: &str| {
        PEM_BODY_RUN
            .find_iter(text)
            .any(|run| shannon_entropy(run.as_str()) >= 4.5 && !is_placeholder(run.as_str()))
    };
    let Some((header_line_number, header_line)) = lines.get(header_index) else {
        return false;
    };
    if is_random_body(header_line.get(header_end..).unwrap_or_default()) {
        return true;
    }
    let mut expected_line_number = header_line_number.saturating_add(1);
    for (line_number, line) in lines.iter().skip(header_index + 1).take(4) {
        if *line_number != expected_line_number {
            return false;
        }
        if is_random_body(line) {
            return true;
        }
        let trimmed = line.trim();
        let is_pem_header_field = trimmed.starts_with("Proc-Type:")
            || trimmed.starts_with("DEK-Info:")
            || trimmed.is_empty();
        if !is_pem_header_field {
            return false;
        }
        expected_line_number = expected_line_number.saturating_add(1);
    }
    false
}

fn private_key_finding(path: &str, line_number: u32, header: &str, is_test_path: bool) -> Finding {
    let (severity, advice) = if is_test_path {
        (
            Severity::Low,
            "in a test path: if it is only a test key, say so in a comment or generate it \
             at test time; if it was ever used anywhere real, replace it",
        )
    } else {
        (
            Severity::Critical,
            "treat it as compromised: replace the key pair, remove the file from the branch \
             and load keys from the secret store",
        )
    };
    Finding {
        path: path.to_string(),
        line: Some(line_number),
        category: Category::Secret,
        rule: "private-key".into(),
        severity,
        message: format!("Private key block `{header}` added {advice}."),
    }
}

fn secret_message(found: &SecretMatch, value: &str, is_test_path: bool) -> String {
    let masked = mask(value);
    if found.rule == "generic-secret" {
        let key = found.key.as_deref().unwrap_or("a secret-named variable");
        return format!(
            "Hard-coded secret assigned to `{key}` ({masked}, {:.1} bits of entropy per \
             character): load it from the environment or the secret store, and rotate it \
             if it was ever real.",
            shannon_entropy(value)
        );
    }
    if is_test_path {
        return format!(
            "{} {masked} in a test path: if it is real, revoke it; if it is a fake, make it \
             obviously fake (`…EXAMPLE`, `xxxx`) so it is not mistaken for one.",
            found.kind
        );
    }
    format!(
        "{} {masked} added: revoke it with the provider now (it is exposed from the moment \
         it was pushed), then load it from the environment or the secret store.",
        found.kind
    )
}

/// Masks a secret for display: at most its first 4 characters (fewer for short values,
/// none below 8), an ellipsis and its length — never the whole value.
pub fn mask(secret: &str) -> String {
    let length = secret.chars().count();
    let shown = match length {
        0..=7 => 0,
        8..=15 => 2,
        _ => 4,
    };
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}…({length} chars)")
}

/// A long run of token characters: a candidate for [`looks_generated`].
static LONG_TOKEN: LazyLock<Regex> = LazyLock::new(|| compile(r"[A-Za-z0-9_\-+=]{32,}"));

/// Whether a long run of token characters looks machine-generated (a key, whatever its
/// name): upper and lower case letters and digits, spread with high entropy. Hex
/// hashes and UUIDs (one case), identifiers and words (no digits, low entropy) are not.
fn looks_generated(token: &str) -> bool {
    token.bytes().any(|byte| byte.is_ascii_uppercase())
        && token.bytes().any(|byte| byte.is_ascii_lowercase())
        && token.bytes().filter(u8::is_ascii_digit).count() >= 2
        && shannon_entropy(token) >= 4.0
}

/// `text` with every secret value any rule would flag replaced by [`mask`]ed text, the
/// bodies of private-key blocks removed, and any other long token that looks generated
/// masked too, whatever it is called. Use before text leaves for a language model.
pub fn redact(text: &str) -> String {
    let ruled = redact_by_rules(text);
    LONG_TOKEN
        .replace_all(&ruled, |captures: &regex::Captures<'_>| {
            let token = &captures[0];
            if looks_generated(token) {
                mask(token)
            } else {
                token.to_owned()
            }
        })
        .into_owned()
}

fn redact_by_rules(text: &str) -> String {
    let without_private_keys =
        PRIVATE_KEY_BLOCK.replace_all(text, |captures: &regex::Captures<'_>| {
            let header = captures.name("header").map_or("", |found| found.as_str());
            let body = captures.name("body").map_or("", |found| found.as_str());
            let footer = captures.name("footer").map_or("", |found| found.as_str());
            let redacted_body = PEM_BODY_RUN.replace_all(body, "[redacted]");
            format!("{header}{redacted_body}{footer}")
        });
    let context = LineContext::for_redaction();
    let mut output = String::with_capacity(without_private_keys.len());
    for line in without_private_keys.split_inclusive('\n') {
        let found = find_secrets_in_line(line, &context);
        if found.is_empty() {
            output.push_str(line);
            continue;
        }
        let mut position = 0;
        for secret in &found {
            if secret.start < position {
                continue;
            }
            output.push_str(line.get(position..secret.start).unwrap_or_default());
            output.push_str(&mask(
                line.get(secret.start..secret.end).unwrap_or_default(),
            ));
            position = secret.end;
        }
        output.push_str(line.get(position..).unwrap_or_default());
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(path: &str) -> LineContext {
        LineContext {
            file_kind: paths::file_kind(path),
            is_test_path: paths::is_test_path(path),
            mentions_twilio: true,
            mentions_aws: true,
            for_redaction: false,
        }
    }

    fn rules_on(path: &str, line: &str) -> Vec<&'static str> {
        find_secrets_in_line(line, &context(path))
            .into_iter()
            .map(|found| found.rule)
            .collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(PROVIDER_RULES.len(), PROVIDER_RULE_SPECIFICATIONS.len());
        for lazy in [
            &SECRET_KEYWORDS,
            &GENERIC_ASSIGNMENT,
            &BEARER_TOKEN,
            &URL_CREDENTIALS,
            &PRIVATE_KEY_HEADER,
            &PEM_BODY_RUN,
            &PRIVATE_KEY_BLOCK,
            &TWILIO_ACCOUNT_SID,
            &ENVIRONMENT_LOOKUP,
            &DIGEST_PREFIX,
        ] {
            assert!(!lazy.as_str().is_empty());
        }
    }

    #[test]
    fn provider_tokens_are_found_in_realistic_lines() {
        let cases = [
            (
                "config/aws.py",
                "AWS_ACCESS_KEY_ID = 'AKIA2E0A8F3B244C9986'",
                "aws-access-key-id",
            ),
            (
                "deploy/.env",
                "AWS_SECRET_ACCESS_KEY=q7Fz0mV3pLx9KcR2tWb8Ne5Hy1Ju4Ds6Ga+Z/oPe",
                "aws-secret-access-key",
            ),
            (
                "src/main.rs",
                "let token = \"ghp_R7kq2Lw9ZpX4vN8mT3bC6yH1jD5sF0aGeQuV\";",
                "github-pat",
            ),
            (
                "ci.yml",
                "  GH_TOKEN: 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",
                "github-fine-grained-pat",
            ),
            (
                "app.ts",
                "const oauth = 'gho_9fK2mQ7xL4pW1zR8vT3nB6cY0hJ5dS2gAeUi';",
                "github-oauth-token",
            ),
            (
                "app.ts",
                "const install = 'ghs_3Lm8Qx1Zp6Wv9Rt2Ny5Kb0Cj7Hd4Fs8GaEuO';",
                "github-app-token",
            ),
            (
                "app.ts",
                "refresh: 'ghr_7Hd4Fs8GaEuO3Lm8Qx1Zp6Wv9Rt2Ny5Kb0Cj1'",
                "github-refresh-token",
            ),
            (
                ".gitlab-ci.yml",
                "GITLAB_TOKEN: glpat-Xq7Rk2Lm9Zp4Wv1Nt8Yb",
                "gitlab-pat",
            ),
            (
                "bot.py",
                "SLACK = 'xoxb-2847561930-4829105736-Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6F'",
                "slack-bot-token",
            ),
            (
                "bot.py",
                "USER = 'xoxp-2847561930-4829105736-6610293847-8f3k2m9x7q4w1z6v5r8t3n2b7c4y1h6d'",
                "slack-user-token",
            ),
            (
                "bot.py",
                "APP = 'xapp-1-A04QZ7K2L9M-5520193847261-9c2f7e1a4b8d3f6a0e5c9b2d7f1a4e8c3b6d9f2a5e8c1b4d7f0a3e6c9b2d5f8a'",
                "slack-app-token",
            ),
            (
                "alerts.yml",
                "webhook: https://hooks.slack.com/services/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",
                "slack-webhook-url",
            ),
            (
                "billing.rb",
                "Stripe.api_key = 'sk_live_51Hq7Zk2Xm9Lp4Wv1Rt8Nb3Yc'",
                "stripe-live-secret-key",
            ),
            (
                "billing.rb",
                "RESTRICTED = 'rk_live_51Hq7Zk2Xm9Lp4Wv1Rt8Nb3Yc'",
                "stripe-restricted-key",
            ),
            (
                "maps.js",
                "const key = \"AIzaSyD3k9Xq7Lm2Zp4Wv1Rt8Nb3Yc6Hj0Fs5Ga\";",
                "google-api-key",
            ),
            (
                "sms.py",
                "TWILIO_API_KEY = 'SK8f3a9c2e7d1b4f6a0c5e9d2b7f1a4c8e'",
                "twilio-api-key",
            ),
            (
                "sms.py",
                "TWILIO_AUTH_TOKEN = '9c2f7e1a4b8d3f6a0e5c9b2d7f1a4e8c'",
                "twilio-auth-token",
            ),
            (
                "mail.go",
                "key := \"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\"",
                "sendgrid-api-key",
            ),
            (
                ".npmrc",
                "//registry.npmjs.org/:_authToken=npm_Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6Fh0Js5Ga8Ek2",
                "npm-access-token",
            ),
            (
                ".pypirc",
                "password = pypi-AgEIcHlwaS5vcmcCJGY3ZDk2MmQ4LTFhYjItNDBlMi04YzNmLTVkN2E5YjFjMmU0ZgACKlsz",
                "pypi-upload-token",
            ),
            (
                "api.ts",
                "const session = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiYWRhIiwicm9sZSI6ImFkbWluIn0.Qm7Xp4Lz9Wr1Vt6Nb3Yc8Hd0Jf5Gs2Ae7Ku'",
                "jwt",
            ),
            (
                "llm.py",
                "OPENAI_API_KEY = 'sk-proj-iIOSXFc6Nh7-PtZNYAAvjIrXTa9cDxIzLjz9ilp2nM8Z4WwcT3BlbkFJ1bjKbdWZrmhEu4DgwhUd7470jQd60gMiaCCOW9ojAp0yWNvF'",
                "openai-api-key",
            ),
            (
                "llm.py",
                "client = Anthropic(api_key=\"sk-ant-api03-ox-EVybB6X22ErphBWafZa75WVaOVQMQT948pt2h91AoliUjoLFrvIuzPhqmO-y_6pLE7dbv-hvTHKtiIPTppRpomNDBjAA\")",
                "anthropic-api-key",
            ),
            (
                "appsettings.json",
                "\"Storage\": \"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=RLOXeiQtmhkJACKTFDayOSAguhfnCixKP09AnqjYFGuMLBqGoTvYzhF9s4WMYR9IehS87jCenlkXOajNSDo1HD==;EndpointSuffix=core.windows.net\"",
                "azure-storage-account-key",
            ),
            (
                "model.py",
                "login(\"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\")",
                "huggingface-token",
            ),
            (
                "client.sh",
                "curl -H 'Authorization: Basic XbLU23STOguSMZ8cOS9liO0I' https://api.acme.io",
                "authorization-basic-credentials",
            ),
            (
                ".npmrc",
                "//npm.acme.io/:_authToken=f1322e52-256a-7baa-5c26-cb113e9b8572",
                "npm-auth-token",
            ),
            (
                "deploy/.env",
                "DD_API_KEY=fbb2943fe86167e6e76f770d5f969dd8",
                "datadog-api-key",
            ),
            (
                "settings.py",
                "DATABASE_URL = 'postgres://app:Zq8Xk2Lm9Rp4@db.internal.acme.io:5432/app'",
                "url-embedded-credentials",
            ),
            (
                "client.sh",
                "curl -H 'Authorization: Bearer 7Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6Fh0Js' https://api.acme.io",
                "authorization-bearer-token",
            ),
            (
                "config.yaml",
                "  client_secret: 8Fh0Js5Ga8Ek2Qm7Xp4Lz9W",
                "generic-secret",
            ),
            (
                "src/db.rs",
                "const DB_PASSWORD: &str = \"Tr0ub4dor&3xK9\";",
                "generic-secret",
            ),
        ];
        for (path, line, expected_rule) in cases {
            assert_eq!(rules_on(path, line), vec![expected_rule], "{path}: {line}");
        }
    }

    #[test]
    fn allowlisted_values_are_not_flagged() {
        let cases = [
            (
                "config/aws.py",
                "AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'",
            ),
            (
                "deploy/.env",
                "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "src/main.rs",
                "let token = \"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\";",
            ),
            ("src/main.rs", "let token = env::var(\"GITHUB_TOKEN\")?;"),
            (
                "settings.py",
                "SECRET_KEY = os.environ['DJANGO_SECRET_KEY']",
            ),
            ("config.yaml", "password: ${DB_PASSWORD}"),
            ("config.yaml", "api_key: <your-api-key>"),
            ("config.yaml", "token: changeme"),
            ("config.yaml", "token_url: https://auth.acme.io/oauth/token"),
            (
                "config.json",
                "\"checksum_secret_digest\": \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"",
            ),
            (
                "config.json",
                "\"secret\": \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"",
            ),
            (
                "config.json",
                "\"api_token\": \"3f2b8c1e-7d4a-4e9b-a1c6-5f8e2d9b7a34\"",
            ),
            (
                "package.json",
                "\"integrity\": \"sha512-Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6Fh0Js5Ga8Ek2Qm7Xp4==\", \"token\": \"x\"",
            ),
            ("src/app.ts", "const tokenCount = tokens.length;"),
            ("src/app.ts", "const password = form.get('password');"),
            ("src/app.ts", "headers.Authorization = `Bearer ${token}`;"),
            (
                "src/app.py",
                "password_hash = bcrypt.hashpw(password, bcrypt.gensalt())",
            ),
            ("src/app.py", "token = get_token(user_id)"),
            (
                "docker-compose.yml",
                "DATABASE_URL: postgres://postgres:postgres@localhost:5432/app",
            ),
            (
                "docker-compose.yml",
                "DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5432/app",
            ),
            (
                "tests/fixtures/config.yaml",
                "client_secret: 8Fh0Js5Ga8Ek2Qm7Xp4Lz9W",
            ),
            (
                "README.md",
                "export STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
            ),
            (
                "alerts.yml",
                "webhook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            ),
            (
                "docs/auth.md",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            ),
            (
                "src/i18n.ts",
                "secretLabel: 'Enter your secret recovery phrase'",
            ),
            (
                "src/keys.ts",
                "export const SECRET_NAME = 'prod-db-credentials-2024';",
            ),
            (
                "src/public.ts",
                "export const analyticsToken = 'phc_Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6Fh0Js5Ga8Ek2Qm7Xp4';",
            ),
            (
                "src/public.ts",
                "export const publicApiKey = 'Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6Fh0';",
            ),
            (
                "sms.py",
                "ACCOUNT_SID = 'AC8f3a9c2e7d1b4f6a0c5e9d2b7f1a4c8e'",
            ),
            (
                "src/login.rs",
                "\"access_token\": \"gho_16C7e42F292c6912E7710c838347Ae178B4a\",",
            ),
        ];
        for (path, line) in cases {
            assert_eq!(rules_on(path, line), Vec::<&str>::new(), "{path}: {line}");
        }
    }

    #[test]
    fn provider_tokens_in_test_paths_are_lowered_and_generic_ones_skipped() {
        let test_context = context("tests/fixtures/github.json");
        let found = find_secrets_in_line(
            "{\"token\": \"ghp_R7kq2Lw9ZpX4vN8mT3bC6yH1jD5sF0aGeQuV\", \"password\": \"Zq8Xk2Lm9Rp4Wv1\"}",
            &test_context,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "github-pat");
        assert_eq!(found[0].severity, Severity::Low);
    }

    #[test]
    fn twilio_keys_need_twilio_context() {
        let mut without = context("src/notify.py");
        without.mentions_twilio = false;
        assert!(
            find_secrets_in_line("KEY = 'SK8f3a9c2e7d1b4f6a0c5e9d2b7f1a4c8e'", &without).is_empty()
        );
        assert!(mentions_twilio(
            "src/notify.py",
            "from twilio.rest import Client"
        ));
        assert!(mentions_twilio(
            "src/notify.py",
            "sid = 'AC8f3a9c2e7d1b4f6a0c5e9d2b7f1a4c8e'"
        ));
        assert!(!mentions_twilio("src/notify.py", "import smtplib"));
    }

    #[test]
    fn private_keys_need_a_body() {
        let with_body = [
            (1, "-----BEGIN RSA PRIVATE KEY-----"),
            (
                2,
                "MIIEowIBAAKCAQEAq7Zk2Xm9Lp4Wv1Rt8Nb3Yc6Hj0Fs5Ga8Ek2Qm7Xp4Lz9Wr1Vt6Nb3Yc8Hd0Jf5Gs2Ae7Ku",
            ),
            (3, "-----END RSA PRIVATE KEY-----"),
        ];
        let findings = scan_lines("deploy/key.pem", &with_body, "", None);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "private-key");
        assert_eq!(findings[0].severity, Severity::Critical);
        let code_that_parses_keys = [
            (10, "if line.starts_with(\"-----BEGIN PRIVATE KEY-----\") {"),
            (11, "    in_key = true;"),
        ];
        assert!(scan_lines("src/pem.rs", &code_that_parses_keys, "", None).is_empty());
        let escaped = [(
            4,
            "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Zk2Xm9Lp4Wv1Rt8Nb3Yc6\\n-----END PRIVATE KEY-----\\n\",",
        )];
        let findings = scan_lines("deploy/service-account.json", &escaped, "", None);
        assert_eq!(
            findings.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
            vec!["private-key"]
        );
        let placeholder = [
            (1, "-----BEGIN PRIVATE KEY-----"),
            (2, "..."),
            (3, "-----END PRIVATE KEY-----"),
        ];
        assert!(scan_lines("docs/setup.md", &placeholder, "", None).is_empty());
    }

    #[test]
    fn lockfiles_are_never_scanned() {
        let lines = [(
            7,
            "  \"token\": \"Zq8Xk2Lm9Rp4Wv1Nt7Yb3Cd6Fh0\", \"integrity\": \"sha512-abc\"",
        )];
        assert!(scan_lines("package-lock.json", &lines, "", None).is_empty());
    }

    #[test]
    fn masks_never_show_the_whole_value() {
        let cases = [
            ("", "…(0 chars)"),
            ("abc", "…(3 chars)"),
            ("hunter22", "hu…(8 chars)"),
            (
                "ghp_R7kq2Lw9ZpX4vN8mT3bC6yH1jD5sF0aGeQuV",
                "ghp_…(40 chars)",
            ),
            ("pässwörd-ünïcödé", "päss…(16 chars)"),
        ];
        for (secret, expected) in cases {
            assert_eq!(mask(secret), expected);
        }
    }

    #[test]
    fn redact_masks_long_generated_tokens_whatever_their_name() {
        let text = "title: fix login (sk-proj-iIOSXFc6Nh7-PtZNYAAvjIrXTa9cDxIzLjz9ilp2nM8Z4WwcT3BlbkFJ1bjKbdWZrmhEu4DgwhUd7470jQd60gMiaCCOW9ojAp0yWNvF)\nconst handshake = \"aO8HX4EPFAlF6yIEUZAZ1R5PWZD3qyW0FAmkmTst\";\ncommit 3f9a0c2e7d1b4f6a0c5e9d2b7f1a4c8e9d2b7f1a\nid 0193b3f2-8c4e-7a6d-9b1f-2e3d4c5b6a7f\nfn handle_the_very_long_request_name_for_users_v2() {}\n";
        let redacted = redact(text);
        for secret in ["iIOSXFc6Nh7", "aO8HX4EPFAlF6yIEUZAZ1R5PWZD3qyW0FAmkmTst"] {
            assert!(!redacted.contains(secret), "{redacted}");
        }
        for kept in [
            "3f9a0c2e7d1b4f6a0c5e9d2b7f1a4c8e9d2b7f1a",
            "0193b3f2-8c4e-7a6d-9b1f-2e3d4c5b6a7f",
            "handle_the_very_long_request_name_for_users_v2",
        ] {
            assert!(redacted.contains(kept), "{kept}: {redacted}");
        }
    }

    #[test]
    fn redact_masks_every_flagged_value_and_keeps_the_rest() {
        let text = "deploy:\n  token: ghp_R7kq2Lw9ZpX4vN8mT3bC6yH1jD5sF0aGeQuV\n  region: eu-west-1\n  db: postgres://app:Zq8Xk2Lm9Rp4@db.acme.io/app\n  client_secret: 8Fh0Js5Ga8Ek2Qm7Xp4Lz9W\n";
        let redacted = redact(text);
        assert!(
            !redacted.contains("R7kq2Lw9ZpX4vN8mT3bC6yH1jD5sF0aGeQuV"),
            "{redacted}"
        );
        assert!(!redacted.contains("Zq8Xk2Lm9Rp4"), "{redacted}");
        assert!(!redacted.contains("8Fh0Js5Ga8Ek2Qm7Xp4Lz9W"), "{redacted}");
        assert!(redacted.contains("ghp_…(40 chars)"), "{redacted}");
        assert!(redacted.contains("region: eu-west-1\n"), "{redacted}");
        assert_eq!(redacted.lines().count(), text.lines().count());
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
        let redacted_key = redact(key);
        assert!(
            !redacted_key.contains("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9u"),
            "{redacted_key}"
        );
        assert!(redacted_key.contains("-----BEGIN OPENSSH PRIVATE KEY-----"));
        assert_eq!(redact("nothing to see here\n"), "nothing to see here\n");
    }

    #[test]
    fn entropy_and_shape_helpers_behave() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(has_placeholder_run("key_123456_x"));
        assert!(has_placeholder_run("abcdefgh"));
        assert!(has_placeholder_run("zzzzzz"));
        assert!(!has_placeholder_run("Zq8Xk2Lm9Rp4"));
        assert!(is_uuid("3f2b8c1e-7d4a-4e9b-a1c6-5f8e2d9b7a34"));
        assert!(!is_uuid("3f2b8c1e-7d4a-4e9b-a1c6"));
        assert!(is_hex_digest("d41d8cd98f00b204e9800998ecf8427e"));
        assert_eq!(
            decode_base64_url("eyJhbGciOiJIUzI1NiJ9"),
            Some(b"{\"alg\":\"HS256\"}".to_vec())
        );
        assert_eq!(decode_base64_url("not base64!"), None);
    }
}
