//! The risky-code rules (category `security`): SQL built from strings, eval of input,
//! shell commands built from input, TLS verification turned off, weak password
//! hashing, raw HTML injection, new `unsafe` Rust, destructive migrations, wildcard
//! CORS with credentials and unsafe deserialization — each with a severity and a
//! message that says what to do instead.
//!
//! The rules read added lines only (context lines only to pair a wildcard CORS origin
//! with credentials, or `Command::new("sh")` with `-c` and `format!`), skip comment
//! lines, documentation and generated files, and lower their findings to `low` in test
//! paths, where disabling TLS or using a cheap hash is often deliberate.

use std::sync::LazyLock;

use regex::Regex;

use super::paths::{self, FileKind};
use super::{Category, Finding, Severity};

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this module, checked by `every_pattern_compiles`.
    Regex::new(pattern).unwrap_or_else(|error| panic!("risky-code rule pattern: {error}"))
}

/// A line that matches none of these words is skipped by every line rule.
static RISKY_KEYWORDS: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?i)select|insert|update|delete|where|replace|merge|eval|exec|function|settimeout|",
        r"setinterval|verify|reject|insecure|danger|tls|ssl|curl|wget|shell|system|popen|",
        r"command|md5|sha1|sha-1|sha256|sha512|bcrypt|innerhtml|outerhtml|v-html|unsafe|",
        r"drop|truncate|remove_|removefield|deletemodel|pickle|yaml|marshal|unserialize|",
        r"objectinputstream|cert|trust|hostname"
    ))
});

/// A SQL statement (or a WHERE clause) starting inside a string literal.
static SQL_IN_STRING: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"(?i)["'`]\s*(?:select\s.+?\sfrom\b|insert\s+into\b|update\s+[\w."`\[\]]+\s+set\b|"#,
        r#"delete\s+from\b|replace\s+into\b|merge\s+into\b)|"#,
        r#"(?i)["'`][^"'`]*\bwhere\s+[\w.]+\s*(?:=|<|>|\blike\b|\bin\b)"#
    ))
});

/// A string literal concatenated with an expression, on either side.
static STRING_CONCATENATION: LazyLock<Regex> =
    LazyLock::new(|| compile(r#"["'`]\s*\+\s*&?[A-Za-z_$(]|[A-Za-z0-9_)\]]\s*\+\s*["'`]"#));

/// A string built by formatting: f-strings, `%`, `.format(`, `format!`, `Sprintf`,
/// template literals, C# and Ruby interpolation.
static STRING_FORMATTING: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"\bf"[^"]*\{[^}]+\}|\bf'[^']*\{[^}]+\}|["']\s*%\s*[(A-Za-z_]|\.format\s*\(|\bformat!\s*\(|"#,
        r#"\b(?:Sprintf|sprintf|String\.format)\s*\(|`[^`]*\$\{|\$"[^"]*\{|#\{"#
    ))
});

/// A tagged template that parameterises (`sql\`…${id}\``, `Prisma.sql\`…\``).
static SAFE_SQL_TAG: LazyLock<Regex> = LazyLock::new(|| compile(r"(?i)\bsql\s*`"));

static CODE_EVAL: LazyLock<Regex> = LazyLock::new(|| {
    compile(r#"(?:^|[^.\w])eval\s*\(|\bnew\s+Function\s*\(|\bset(?:Timeout|Interval)\s*\(\s*["'`]"#)
});

static PYTHON_EXEC: LazyLock<Regex> = LazyLock::new(|| compile(r"(?:^|[^.\w])exec\s*\("));

static PYTHON_OS_COMMAND: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\bos\.(?:system|popen)\s*\(\s*(?P<argument>.)"));

static PYTHON_SHELL_TRUE: LazyLock<Regex> = LazyLock::new(|| compile(r"\bshell\s*=\s*True\b"));

static NODE_EXEC_BUILT: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r#"(?:child_process\.|childProcess\.|cp\.|^|[^.\w])exec(?:Sync)?\s*\(\s*(?:`[^`]*\$\{|["'][^"']*["']\s*\+|[A-Za-z_$][\w$]*\s*\+)"#,
    )
});

static GO_SHELL_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r#"exec\.Command(?:Context)?\s*\((?:[^,]+,\s*)?"(?:sh|bash|zsh|/bin/sh|/bin/bash|cmd|cmd\.exe)"\s*,\s*"(?:-c|/c|/C)"\s*,\s*(?:fmt\.Sprintf|[A-Za-z_][\w.]*\s*\+|"[^"]*"\s*\+)"#,
    )
});

static RUST_SHELL_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    compile(r#"Command::new\(\s*"(?:sh|bash|zsh|/bin/sh|/bin/bash|cmd|cmd\.exe)"\s*\)"#)
});

static RUST_SHELL_FLAG: LazyLock<Regex> =
    LazyLock::new(|| compile(r#"\.args?\(\s*(?:\[|&\[|vec!\[)?\s*"(?:-c|/C|/c)""#));

static TLS_VERIFICATION_OFF: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"\bverify\s*=\s*False\b|rejectUnauthorized\s*:\s*false\b|InsecureSkipVerify\s*:\s*true\b|",
        r"danger_accept_invalid_(?:certs|hostnames)\s*\(\s*true\s*\)|",
        r#"NODE_TLS_REJECT_UNAUTHORIZED["']?\s*[=:]\s*["']?0\b|"#,
        r"\bcurl\b[^|;&\n]*\s(?:-[A-Za-z]*k[A-Za-z]*|--insecure)(?:\s|$)|",
        r"\bwget\b[^|;&\n]*--no-check-certificate|ssl\._create_unverified_context|",
        r"\b(?:verify_mode|cert_reqs)\s*=\s*(?:ssl\.)?CERT_NONE\b|\bcheck_hostname\s*=\s*False\b|",
        r"OpenSSL::SSL::VERIFY_NONE|strict-ssl\s*[=:]?\s*false\b|sslVerify\s*[=\s]\s*false\b|",
        r"ServerCertificateValidationCallback\s*=.*=>\s*true|ALLOW_ALL_HOSTNAME_VERIFIER|",
        r"\bTrustAllCerts\b|\btrustAllCerts\b|InsecureTrustManager|tls_verify\s*[:=]\s*false\b"
    ))
});

static WEAK_PASSWORD_HASH: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?i)\b(?:md5|sha-?1)\w*\b.{0,80}?\b\w*(?:password|passwd|passphrase|pwd)")
});

static FAST_PASSWORD_HASH: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?i)\b(?:sha-?256|sha-?512)\w*\b.{0,80}?\b\w*(?:password|passwd|passphrase|pwd)")
});

static BCRYPT_COST_CALL: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?i)\bbcrypt\w*\s*(?:\.|::)\s*(?:hash|hashsync|gensalt|gensaltsync|generatefrompassword|",
        r"hashpw|hash_with_cost|hash_password)\s*\(.*?(?:,|\(|rounds\s*=|cost\s*=|log_rounds\s*=)\s*(?P<cost>\d{1,2})\s*\)"
    ))
});

static BCRYPT_COST_SETTING: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r#"(?i)bcrypt[_.\-]?(?:rounds|cost|log_rounds|work_factor)["']?\s*[:=]\s*["']?(?P<cost>\d{1,2})\b"#,
    )
});

static BCRYPT_MINIMUM_COST: LazyLock<Regex> = LazyLock::new(|| compile(r"bcrypt\.MinCost\b"));

static INNER_HTML_ASSIGNMENT: LazyLock<Regex> =
    LazyLock::new(|| compile(r#"\.(?:innerHTML|outerHTML)\s*\+?=\s*[^"'`\s]|\bv-html\s*="#));

static RUST_UNSAFE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\bunsafe\s*(?:\{|fn\b|impl\b|trait\b|extern\b)|#!?\[\s*allow\s*\(\s*unsafe_code\s*\)\s*\]",
    )
});

static DESTRUCTIVE_SQL: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"(?i)\bdrop\s+table\s+(?:if\s+exists\s+)?(?P<table>[\w."`]+)|\bdrop\s+(?:schema|database)\b|"#,
        r#"\bdrop\s+column\b|\btruncate\s+table\s+[\w."`]+|"#,
        r#"\btruncate\s+[\w."`]+\s*(?:;|,|$|\s+(?:cascade|restart|continue|only)\b)|"#,
        r#"\balter\s+table\b.*?\bdrop\s+(?:column\s+)?(?:if\s+exists\s+)?(?P<dropped>[\w"`]+)|"#,
        r"\b(?:drop_table|remove_column|remove_columns|remove_reference|drop_column)\b|",
        r"migrations\.(?:RemoveField|DeleteModel)\b|\bop\.(?:drop_table|drop_column)\b"
    ))
});

/// The SQLite table-rebuild pattern (copy into a new table, drop, rename): the names
/// of tables that are copied from or renamed to.
static TABLE_REBUILD: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"(?i)\balter\s+table\s+[\w."`]+\s+rename\s+to\s+(?P<renamed_to>[\w."`]+)|"#,
        r#"\binsert\s+into\s+[\w."`]+.*?\bselect\b.*?\bfrom\s+(?P<copied_from>[\w."`]+)"#
    ))
});

fn table_name(raw: &str) -> String {
    raw.trim_matches(|character| matches!(character, '"' | '`' | ';'))
        .to_ascii_lowercase()
}

/// Tables the file rebuilds: copied from, or recreated under their old name.
fn rebuilt_tables(visible: &[(u32, &str)]) -> Vec<String> {
    let mut tables = Vec::new();
    for (_, line) in visible {
        if !line.to_ascii_lowercase().contains("rename")
            && !line.to_ascii_lowercase().contains("select")
        {
            continue;
        }
        for captures in TABLE_REBUILD.captures_iter(line) {
            if let Some(name) = captures
                .name("renamed_to")
                .or_else(|| captures.name("copied_from"))
            {
                tables.push(table_name(name.as_str()));
            }
        }
    }
    tables
}

static CORS_WILDCARD_ORIGIN: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"(?i)access-control-allow-origin["']?(?:\s*[:,=]\s*|\s+)["']?\*|"#,
        r#"allow_origin\(\s*(?:Any|cors::Any|AllowOrigin::any\(\)|"\*")\s*\)|AllowOrigin::any\(\)|"#,
        r#"\borigin\s*:\s*(?:["']\*["']|true\b)|allow_origins\s*=\s*\[\s*["']\*["']\s*\]|"#,
        r#"AllowedOrigins\s*:\s*\[\]string\{\s*"\*"\s*\}|AllowAllOrigins\s*:\s*true\b|"#,
        r#"CORS_(?:ORIGIN_)?ALLOW_ALL(?:_ORIGINS)?\s*=\s*True\b|"#,
        r#"allowed_origins["']?\s*[:=]\s*\[?\s*["']\*["']|\.allowedOrigins\(\s*"\*"\s*\)"#
    ))
});

static CORS_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"(?i)access-control-allow-credentials["']?(?:\s*[:,=]\s*|\s+)["']?true|"#,
        r"allow_credentials\s*\(\s*true\s*\)|\bcredentials\s*:\s*true\b|",
        r"allow_credentials\s*=\s*True\b|AllowCredentials\s*:\s*true\b|",
        r"CORS_ALLOW_CREDENTIALS\s*=\s*True\b|supports_credentials\s*=\s*True\b|",
        r"allowCredentials\s*[:=(]\s*true\b"
    ))
});

static UNSAFE_DESERIALIZATION: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"\b(?:c?[Pp]ickle)\.loads?\s*\(|\byaml\.(?:load|unsafe_load|load_all)\s*\(|",
        r"\bmarshal\.loads?\s*\(|\bMarshal\.load\s*\(|\bunserialize\s*\(|",
        r"\bnew\s+ObjectInputStream\s*\("
    ))
});

/// Where in a file a rule applies.
fn is_scripting_language(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::Python
            | FileKind::JavaScript
            | FileKind::TypeScript
            | FileKind::Php
            | FileKind::Ruby
            | FileKind::Html
    )
}

fn is_javascript_like(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::JavaScript | FileKind::TypeScript | FileKind::Html
    )
}

/// A whole-line comment in the file's language.
fn is_comment_line(line: &str, kind: FileKind) -> bool {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//")
        || trimmed.starts_with("/*")
        || trimmed.starts_with("<!--")
        || trimmed == "*"
        || trimmed.starts_with("* ")
    {
        return true;
    }
    match kind {
        FileKind::Sql => trimmed.starts_with("--"),
        FileKind::Rust => false,
        FileKind::IniLike => trimmed.starts_with('#') || trimmed.starts_with(';'),
        _ => trimmed.starts_with('#') && !trimmed.starts_with("#{"),
    }
}

/// Whether byte `position` of `line` lies inside a double-quoted string literal.
fn is_inside_string_literal(line: &str, position: usize) -> bool {
    let mut inside = false;
    let mut escaped = false;
    for byte in line.as_bytes().iter().take(position) {
        match byte {
            b'\\' if !escaped => {
                escaped = true;
                continue;
            }
            b'"' if !escaped => inside = !inside,
            _ => {}
        }
        escaped = false;
    }
    inside
}

/// The line talks to this machine only (`https://localhost…`, `127.0.0.1`): turning
/// verification off for a self-signed local server is not a finding.
fn targets_loopback_only(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    let mentions_loopback = ["://localhost", "://127.0.0.1", "://[::1]", "://0.0.0.0"]
        .iter()
        .any(|host| lower.contains(host));
    let mentions_other_url = lower.match_indices("://").any(|(index, _)| {
        let host = &lower[index + 3..];
        !(host.starts_with("localhost")
            || host.starts_with("127.0.0.1")
            || host.starts_with("[::1]")
            || host.starts_with("0.0.0.0"))
    });
    mentions_loopback && !mentions_other_url
}

/// A finding before it knows its file.
struct RiskyMatch {
    line: u32,
    rule: &'static str,
    severity: Severity,
    message: String,
}

/// Risky-code findings on the `added` lines of the file at `path`; `visible` holds the
/// added and context lines, read to pair CORS settings and shell-command pieces. Lines
/// from `test_code_from_line` on are test code (a Rust `#[cfg(test)]` module).
pub fn scan_lines(
    path: &str,
    added: &[(u32, &str)],
    visible: &[(u32, &str)],
    test_code_from_line: Option<u32>,
) -> Vec<Finding> {
    if paths::is_documentation(path) || paths::is_generated_or_vendored(path) {
        return Vec::new();
    }
    let kind = paths::file_kind(path);
    let is_migration = paths::is_migration_path(path);
    let is_down_migration = paths::is_down_migration(path);
    let rebuilt = if is_migration {
        rebuilt_tables(visible)
    } else {
        Vec::new()
    };
    let migration = MigrationContext {
        is_migration,
        is_down_migration,
        rebuilt_tables: &rebuilt,
    };
    let mut matches = Vec::new();
    for (line_number, line) in added {
        if is_comment_line(line, kind) || !RISKY_KEYWORDS.is_match(line) {
            continue;
        }
        check_line(*line_number, line, kind, &migration, &mut matches);
    }
    check_cors(added, visible, kind, &mut matches);
    if kind == FileKind::Rust {
        check_rust_shell_command(added, visible, &mut matches);
    }
    let is_test_path = paths::is_test_path(path);
    matches
        .into_iter()
        .map(|found| Finding {
            path: path.to_string(),
            line: Some(found.line),
            category: Category::Security,
            rule: found.rule.to_string(),
            severity: if is_test_path
                || test_code_from_line.is_some_and(|start| found.line >= start)
            {
                found.severity.min(Severity::Low)
            } else {
                found.severity
            },
            message: found.message,
        })
        .collect()
}

/// What the destructive-migration rule needs to know about the file.
struct MigrationContext<'tables> {
    is_migration: bool,
    is_down_migration: bool,
    rebuilt_tables: &'tables [String],
}

fn check_line(
    line_number: u32,
    line: &str,
    kind: FileKind,
    migration: &MigrationContext<'_>,
    matches: &mut Vec<RiskyMatch>,
) {
    let mut push = |rule: &'static str, severity: Severity, message: String| {
        matches.push(RiskyMatch {
            line: line_number,
            rule,
            severity,
            message,
        });
    };
    if kind.is_programming_language() && SQL_IN_STRING.is_match(line) {
        if STRING_CONCATENATION.is_match(line) {
            push(
                "sql-string-concatenation",
                Severity::High,
                "SQL built by string concatenation: pass values as bind parameters \
                 (`$1`, `?`, `%s` with a parameters argument) so input cannot change the \
                 statement; allow-list identifiers such as column names."
                    .into(),
            );
        } else if STRING_FORMATTING.is_match(line) && !SAFE_SQL_TAG.is_match(line) {
            push(
                "sql-string-formatting",
                Severity::High,
                "SQL built by string formatting (f-string, `%`, `format!`, `Sprintf` or a \
                 template literal): use bind parameters instead; if the interpolated part \
                 is an identifier, allow-list it."
                    .into(),
            );
        }
    }
    if is_scripting_language(kind)
        && (CODE_EVAL.is_match(line) || (kind == FileKind::Python && PYTHON_EXEC.is_match(line)))
    {
        push(
            "code-eval",
            Severity::High,
            "Code evaluated at run time (`eval`, `exec`, `new Function`, a string passed to \
             `setTimeout`): if any part comes from input, it runs attacker code. Parse the \
             data instead (`json`, `ast.literal_eval`) or dispatch on a fixed table."
                .into(),
        );
    }
    check_command_injection(line, kind, &mut push);
    if TLS_VERIFICATION_OFF.is_match(line) && !targets_loopback_only(line) {
        push(
            "tls-verification-disabled",
            Severity::High,
            "TLS certificate verification turned off: any machine on the path can read and \
             change this traffic. Trust the right CA instead (a CA bundle, \
             `add_root_certificate`, `NODE_EXTRA_CA_CERTS`)."
                .into(),
        );
    }
    if kind.is_programming_language() {
        if WEAK_PASSWORD_HASH.is_match(line) {
            push(
                "weak-password-hash",
                Severity::High,
                "Password hashed with MD5 or SHA-1: both are broken and fast to brute-force. \
                 Use argon2id, scrypt or bcrypt (cost ≥ 10) through a password-hashing library."
                    .into(),
            );
        } else if FAST_PASSWORD_HASH.is_match(line) {
            push(
                "fast-password-hash",
                Severity::Medium,
                "Password hashed with a plain SHA-2 digest: fast hashes are cheap to \
                 brute-force. Use argon2id, scrypt or bcrypt (cost ≥ 10)."
                    .into(),
            );
        }
    }
    if let Some(cost) = weak_bcrypt_cost(line, kind) {
        push(
            "weak-bcrypt-cost",
            Severity::Medium,
            format!(
                "bcrypt cost {cost} is below 10: each step halves the attacker's work. Use \
                 at least 10 (12 is the common default)."
            ),
        );
    }
    if is_javascript_like(kind) {
        if line.contains("dangerouslySetInnerHTML") {
            push(
                "dangerously-set-inner-html",
                Severity::Medium,
                "`dangerouslySetInnerHTML` renders raw HTML: unless the value is sanitised \
                 (DOMPurify) or fully trusted, this is cross-site scripting. Render text \
                 or sanitise first."
                    .into(),
            );
        } else if INNER_HTML_ASSIGNMENT.is_match(line) {
            push(
                "inner-html-assignment",
                Severity::Medium,
                "HTML assigned from an expression (`innerHTML`, `v-html`): sanitise it or \
                 assign `textContent` instead, or it is cross-site scripting."
                    .into(),
            );
        }
    }
    if kind == FileKind::Rust
        && let Some(found) = RUST_UNSAFE.find(line)
        && !is_inside_string_literal(line, found.start())
    {
        push(
            "rust-unsafe",
            Severity::Medium,
            "New `unsafe` Rust: the compiler no longer checks memory safety here. Prefer a \
             safe API; otherwise document the invariants in a `// SAFETY:` comment and get \
             a second reviewer."
                .into(),
        );
    }
    if migration.is_migration
        && let Some((found, dropped_table)) = destructive_statement(line)
    {
        let is_rebuild = dropped_table
            .as_ref()
            .is_some_and(|table| migration.rebuilt_tables.contains(table));
        let (severity, message) = if migration.is_down_migration {
            (
                Severity::Low,
                format!(
                    "`{found}` in a rollback migration: expected there, but make sure the \
                     matching up-migration is what created it."
                ),
            )
        } else if is_rebuild {
            (
                Severity::Low,
                format!(
                    "`{found}` as part of a table rebuild (copy, drop, rename): check that the \
                     copy keeps every column and row before the old table goes."
                ),
            )
        } else {
            (
                Severity::High,
                format!(
                    "Destructive migration (`{found}`): the data is gone once this runs. Ship \
                     it separately from the code that stops using it, back up first, and \
                     prefer renaming or soft-deleting."
                ),
            )
        };
        push("destructive-migration", severity, message);
    }
    if matches!(
        kind,
        FileKind::Python | FileKind::Ruby | FileKind::Php | FileKind::Java | FileKind::Kotlin
    ) && UNSAFE_DESERIALIZATION.is_match(line)
        && !line.contains("SafeLoader")
        && !line.contains("safe_load")
    {
        push(
            "unsafe-deserialization",
            Severity::Medium,
            "Deserialising with a format that can run code (`pickle`, `yaml.load` without \
             `SafeLoader`, `Marshal`, `unserialize`, `ObjectInputStream`): never feed it \
             input; use JSON or a safe loader."
                .into(),
        );
    }
}

fn check_command_injection(
    line: &str,
    kind: FileKind,
    push: &mut impl FnMut(&'static str, Severity, String),
) {
    let command_message = "Shell command built from a string that includes variables: input \
                           can run arbitrary commands. Pass an argument list without a shell \
                           (`subprocess.run([...])`, `execFile`, `exec.Command(name, args...)`, \
                           `Command::new(program).arg(x)`)."
        .to_string();
    match kind {
        FileKind::Python => {
            let os_command_built = PYTHON_OS_COMMAND.captures(line).is_some_and(|captures| {
                let argument_starts_with_expression = captures
                    .name("argument")
                    .and_then(|argument| argument.as_str().chars().next())
                    .is_some_and(|character| character.is_ascii_alphabetic() || character == '_');
                argument_starts_with_expression
                    || STRING_FORMATTING.is_match(line)
                    || STRING_CONCATENATION.is_match(line)
            });
            if os_command_built {
                push("command-injection", Severity::High, command_message);
            } else if PYTHON_SHELL_TRUE.is_match(line) {
                if STRING_FORMATTING.is_match(line) || STRING_CONCATENATION.is_match(line) {
                    push("command-injection", Severity::High, command_message);
                } else {
                    push(
                        "subprocess-shell-true",
                        Severity::Medium,
                        "`shell=True` runs the command through a shell: if any part of it \
                         comes from input, that input can run commands. Pass a list of \
                         arguments without `shell=True`."
                            .into(),
                    );
                }
            }
        }
        FileKind::JavaScript | FileKind::TypeScript if NODE_EXEC_BUILT.is_match(line) => {
            push("command-injection", Severity::High, command_message);
        }
        FileKind::Go if GO_SHELL_COMMAND.is_match(line) => {
            push("command-injection", Severity::High, command_message);
        }
        _ => {}
    }
}

/// The cost of a bcrypt call or setting below 10, if the line has one.
fn weak_bcrypt_cost(line: &str, kind: FileKind) -> Option<u32> {
    if !line.to_ascii_lowercase().contains("bcrypt") {
        return None;
    }
    if kind.is_programming_language() && BCRYPT_MINIMUM_COST.is_match(line) {
        return Some(4);
    }
    let captures = if kind.is_programming_language() {
        BCRYPT_COST_CALL
            .captures(line)
            .or_else(|| BCRYPT_COST_SETTING.captures(line))
    } else {
        BCRYPT_COST_SETTING.captures(line)
    }?;
    let cost: u32 = captures.name("cost")?.as_str().parse().ok()?;
    (cost < 10).then_some(cost)
}

/// The destructive statement on a migration line, if any (`DROP TABLE`, …), with the
/// dropped table's name when it is a `DROP TABLE`.
fn destructive_statement(line: &str) -> Option<(String, Option<String>)> {
    for captures in DESTRUCTIVE_SQL.captures_iter(line) {
        let Some(whole) = captures.get(0) else {
            continue;
        };
        if let Some(dropped) = captures.name("dropped") {
            let word = dropped.as_str().to_ascii_lowercase();
            if matches!(
                word.as_str(),
                "constraint" | "index" | "default" | "not" | "identity" | "expression" | "trigger"
            ) {
                continue;
            }
        }
        let text: String = whole
            .as_str()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let shortened: String = text.chars().take(60).collect();
        let table = captures
            .name("table")
            .map(|table| table_name(table.as_str()));
        return Some((shortened, table));
    }
    None
}

/// Wildcard origin and credentials in the same file, at least one of them added.
fn check_cors(
    added: &[(u32, &str)],
    visible: &[(u32, &str)],
    kind: FileKind,
    matches: &mut Vec<RiskyMatch>,
) {
    let usable = |line: &&(u32, &str)| !is_comment_line(line.1, kind);
    let added_wildcard = added
        .iter()
        .filter(usable)
        .find(|(_, line)| CORS_WILDCARD_ORIGIN.is_match(line));
    let added_credentials = added
        .iter()
        .filter(usable)
        .find(|(_, line)| CORS_CREDENTIALS.is_match(line));
    if added_wildcard.is_none() && added_credentials.is_none() {
        return;
    }
    let visible_wildcard = visible
        .iter()
        .filter(usable)
        .find(|(_, line)| CORS_WILDCARD_ORIGIN.is_match(line));
    let visible_credentials = visible
        .iter()
        .filter(usable)
        .any(|(_, line)| CORS_CREDENTIALS.is_match(line));
    let reported_line = match (added_wildcard, visible_wildcard, visible_credentials) {
        (Some((line, _)), _, true) => Some(*line),
        (None, Some(_), true) => added_credentials.map(|(line, _)| *line),
        _ => None,
    };
    if let Some(line) = reported_line {
        matches.push(RiskyMatch {
            line,
            rule: "cors-wildcard-with-credentials",
            severity: Severity::High,
            message: "CORS allows any origin together with credentials: any website can make \
                      authenticated requests as the signed-in user and read the answers. \
                      List the allowed origins explicitly."
                .into(),
        });
    } else if let Some((line, _)) = added_wildcard {
        matches.push(RiskyMatch {
            line: *line,
            rule: "cors-wildcard-origin",
            severity: Severity::Low,
            message: "CORS allows any origin: fine for a public, unauthenticated API; \
                      otherwise list the allowed origins."
                .into(),
        });
    }
}

/// `Command::new("sh")` with `-c` and a `format!` within the next few lines, one of them added.
fn check_rust_shell_command(
    added: &[(u32, &str)],
    visible: &[(u32, &str)],
    matches: &mut Vec<RiskyMatch>,
) {
    for (index, (line_number, line)) in visible.iter().enumerate() {
        if !RUST_SHELL_COMMAND.is_match(line) {
            continue;
        }
        let window: Vec<&(u32, &str)> = visible
            .iter()
            .skip(index)
            .take(6)
            .take_while(|(number, _)| *number < line_number.saturating_add(6))
            .collect();
        let has_shell_flag = window
            .iter()
            .any(|(_, text)| RUST_SHELL_FLAG.is_match(text));
        let has_formatting = window.iter().any(|(_, text)| text.contains("format!("));
        let touches_added = window
            .iter()
            .any(|(number, _)| added.iter().any(|(added_number, _)| added_number == number));
        if has_shell_flag && has_formatting && touches_added {
            matches.push(RiskyMatch {
                line: *line_number,
                rule: "command-injection",
                severity: Severity::High,
                message: "Shell command built with `format!` and run through `sh -c`: input \
                          can run arbitrary commands. Run the program directly with \
                          `Command::new(program).arg(value)`."
                    .into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_for(path: &str, line: &str) -> Vec<String> {
        let added = [(1, line)];
        scan_lines(path, &added, &added, None)
            .into_iter()
            .map(|finding| finding.rule)
            .collect()
    }

    #[test]
    fn every_pattern_compiles() {
        for lazy in [
            &RISKY_KEYWORDS,
            &SQL_IN_STRING,
            &STRING_CONCATENATION,
            &STRING_FORMATTING,
            &SAFE_SQL_TAG,
            &CODE_EVAL,
            &PYTHON_EXEC,
            &PYTHON_OS_COMMAND,
            &PYTHON_SHELL_TRUE,
            &NODE_EXEC_BUILT,
            &GO_SHELL_COMMAND,
            &RUST_SHELL_COMMAND,
            &RUST_SHELL_FLAG,
            &TLS_VERIFICATION_OFF,
            &WEAK_PASSWORD_HASH,
            &FAST_PASSWORD_HASH,
            &BCRYPT_COST_CALL,
            &BCRYPT_COST_SETTING,
            &BCRYPT_MINIMUM_COST,
            &INNER_HTML_ASSIGNMENT,
            &RUST_UNSAFE,
            &DESTRUCTIVE_SQL,
            &TABLE_REBUILD,
            &CORS_WILDCARD_ORIGIN,
            &CORS_CREDENTIALS,
            &UNSAFE_DESERIALIZATION,
        ] {
            assert!(!lazy.as_str().is_empty());
        }
    }

    #[test]
    fn risky_lines_are_flagged_with_their_rule() {
        let cases = [
            (
                "app/db.py",
                "    query = \"SELECT * FROM users WHERE name = '\" + name + \"'\"",
                "sql-string-concatenation",
            ),
            (
                "src/db.ts",
                "const sql = \"DELETE FROM sessions WHERE user_id = \" + userId;",
                "sql-string-concatenation",
            ),
            (
                "app/db.py",
                "    cursor.execute(f\"SELECT id FROM orders WHERE customer = '{customer}'\")",
                "sql-string-formatting",
            ),
            (
                "app/db.py",
                "    cursor.execute(\"UPDATE users SET email = '%s' WHERE id = %s\" % (email, uid))",
                "sql-string-formatting",
            ),
            (
                "src/repo.rs",
                "    let query = format!(\"SELECT * FROM invoices WHERE id = {}\", id);",
                "sql-string-formatting",
            ),
            (
                "pkg/repo.go",
                "\tq := fmt.Sprintf(\"SELECT * FROM users WHERE email = '%s'\", email)",
                "sql-string-formatting",
            ),
            (
                "src/repo.ts",
                "  const rows = await db.query(`SELECT * FROM items WHERE owner = '${owner}'`);",
                "sql-string-formatting",
            ),
            (
                "src/calc.js",
                "  return eval(req.query.expression);",
                "code-eval",
            ),
            (
                "src/calc.ts",
                "  const fn = new Function('a', body);",
                "code-eval",
            ),
            (
                "tools/run.py",
                "    exec(request.form['code'])",
                "code-eval",
            ),
            (
                "tools/run.py",
                "    os.system('convert ' + filename + ' out.png')",
                "command-injection",
            ),
            (
                "tools/run.py",
                "    subprocess.run(f\"tar xzf {archive}\", shell=True)",
                "command-injection",
            ),
            (
                "tools/run.py",
                "    subprocess.run(command, shell=True)",
                "subprocess-shell-true",
            ),
            (
                "src/run.js",
                "exec(`git clone ${repoUrl}`, callback);",
                "command-injection",
            ),
            (
                "src/run.js",
                "child_process.exec('ls ' + dir);",
                "command-injection",
            ),
            (
                "cmd/run.go",
                "\tcmd := exec.Command(\"sh\", \"-c\", fmt.Sprintf(\"ping %s\", host))",
                "command-injection",
            ),
            (
                "app/client.py",
                "    response = requests.get(url, verify=False)",
                "tls-verification-disabled",
            ),
            (
                "src/client.ts",
                "  const agent = new https.Agent({ rejectUnauthorized: false });",
                "tls-verification-disabled",
            ),
            (
                "pkg/client.go",
                "\tTLSClientConfig: &tls.Config{InsecureSkipVerify: true},",
                "tls-verification-disabled",
            ),
            (
                "src/client.rs",
                "    .danger_accept_invalid_certs(true)",
                "tls-verification-disabled",
            ),
            (
                ".github/workflows/deploy.yml",
                "        run: curl -sk https://internal.acme.io/health",
                "tls-verification-disabled",
            ),
            (
                "Dockerfile",
                "ENV NODE_TLS_REJECT_UNAUTHORIZED=0",
                "tls-verification-disabled",
            ),
            (
                "app/auth.py",
                "    digest = hashlib.md5(password.encode()).hexdigest()",
                "weak-password-hash",
            ),
            (
                "src/auth.js",
                "const hash = crypto.createHash('sha1').update(password).digest('hex');",
                "weak-password-hash",
            ),
            (
                "app/auth.py",
                "    digest = hashlib.sha256(password.encode()).hexdigest()",
                "fast-password-hash",
            ),
            (
                "src/auth.js",
                "const hash = await bcrypt.hash(password, 8);",
                "weak-bcrypt-cost",
            ),
            (
                "app/auth.py",
                "    salt = bcrypt.gensalt(rounds=6)",
                "weak-bcrypt-cost",
            ),
            (
                "pkg/auth.go",
                "\thash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)",
                "weak-bcrypt-cost",
            ),
            ("config/app.yaml", "bcrypt_rounds: 4", "weak-bcrypt-cost"),
            (
                "src/Comment.tsx",
                "  return <div dangerouslySetInnerHTML={{ __html: body }} />;",
                "dangerously-set-inner-html",
            ),
            (
                "src/widget.js",
                "  container.innerHTML = message;",
                "inner-html-assignment",
            ),
            (
                "src/buffer.rs",
                "    unsafe { std::ptr::copy_nonoverlapping(src, dst, len) }",
                "rust-unsafe",
            ),
            (
                "src/ffi.rs",
                "pub unsafe fn from_raw(ptr: *mut Node) -> Box<Node> {",
                "rust-unsafe",
            ),
            (
                "src/sync.rs",
                "unsafe impl Send for Handle {}",
                "rust-unsafe",
            ),
            (
                "migrations/20240301_cleanup.sql",
                "DROP TABLE legacy_sessions;",
                "destructive-migration",
            ),
            (
                "migrations/20240301_cleanup.sql",
                "ALTER TABLE users DROP COLUMN middle_name;",
                "destructive-migration",
            ),
            (
                "migrations/20240301_cleanup.sql",
                "TRUNCATE audit_log;",
                "destructive-migration",
            ),
            (
                "db/migrate/20240301_remove_legacy.rb",
                "    remove_column :users, :legacy_id",
                "destructive-migration",
            ),
            (
                "app/loader.py",
                "    data = pickle.loads(request.body)",
                "unsafe-deserialization",
            ),
            (
                "app/loader.py",
                "    config = yaml.load(stream)",
                "unsafe-deserialization",
            ),
        ];
        for (path, line, expected_rule) in cases {
            assert_eq!(
                rules_for(path, line),
                vec![expected_rule.to_string()],
                "{path}: {line}"
            );
        }
    }

    #[test]
    fn ordinary_lines_are_not_flagged() {
        let cases = [
            (
                "app/db.py",
                "    cursor.execute(\"SELECT * FROM users WHERE id = %s\", (user_id,))",
            ),
            (
                "src/repo.rs",
                "    sqlx::query!(\"SELECT * FROM invoices WHERE id = $1\", id)",
            ),
            (
                "src/repo.ts",
                "  const rows = await sql`SELECT * FROM items WHERE owner = ${owner}`;",
            ),
            (
                "src/repo.ts",
                "  const label = 'Selected ' + count + ' items from the list';",
            ),
            ("app/model.py", "    model.eval()"),
            ("app/parse.py", "    value = ast.literal_eval(text)"),
            ("src/re.js", "  const found = pattern.exec(input);"),
            (
                "app/run.py",
                "    subprocess.run([\"git\", \"status\"], check=True)",
            ),
            (
                "app/client.py",
                "    response = requests.get(url, verify=True, timeout=10)",
            ),
            ("src/client.rs", "    .danger_accept_invalid_certs(false)"),
            (
                "src/main.rs",
                "    info!(\"listening on {bind}. To contact curl -k https://localhost:3000\");",
            ),
            (
                "app/auth.py",
                "    checksum = hashlib.md5(file_bytes).hexdigest()",
            ),
            (
                "src/auth.js",
                "const hash = await bcrypt.hash(password, 12);",
            ),
            ("src/rules.rs", "    let pattern = \"unsafe { … }\";"),
            ("src/rules.rs", "    // unsafe { was here }"),
            (
                "migrations/0003_add_index.sql",
                "CREATE INDEX users_email ON users (email);",
            ),
            (
                "migrations/0003_add_index.sql",
                "ALTER TABLE users DROP CONSTRAINT users_email_key;",
            ),
            ("migrations/0003_add_index.sql", "-- DROP TABLE users;"),
            ("src/queries.sql", "SELECT id FROM users WHERE active;"),
            (
                "docs/security.md",
                "Never write `requests.get(url, verify=False)` in production.",
            ),
            ("app/loader.py", "    config = yaml.safe_load(stream)"),
            (
                "app/loader.py",
                "    config = yaml.load(stream, Loader=yaml.SafeLoader)",
            ),
        ];
        for (path, line) in cases {
            assert_eq!(
                rules_for(path, line),
                Vec::<String>::new(),
                "{path}: {line}"
            );
        }
    }

    #[test]
    fn test_paths_lower_the_severity() {
        let added = [(3, "    requests.get(url, verify=False)")];
        let findings = scan_lines("tests/test_client.py", &added, &added, None);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Low);
    }

    #[test]
    fn rollback_migrations_are_low() {
        let added = [(1, "DROP TABLE invoices;")];
        let findings = scan_lines("migrations/0007_invoices/down.sql", &added, &added, None);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Low);
    }

    #[test]
    fn table_rebuilds_are_low() {
        let lines = [
            (
                1,
                "CREATE TABLE users_rebuilt (id BLOB PRIMARY KEY, email TEXT NOT NULL);",
            ),
            (2, "INSERT INTO users_rebuilt SELECT * FROM users;"),
            (3, "DROP TABLE users;"),
            (4, "ALTER TABLE users_rebuilt RENAME TO users;"),
            (5, "DROP TABLE sessions;"),
        ];
        let findings = scan_lines("migrations/sqlite/0005.sql", &lines, &lines, None);
        let found: Vec<(Option<u32>, Severity)> =
            findings.iter().map(|f| (f.line, f.severity)).collect();
        assert_eq!(
            found,
            vec![(Some(3), Severity::Low), (Some(5), Severity::High)]
        );
        let prose = [(
            9,
            "  description: TRUNCATE means the text is cut at the limit",
        )];
        assert!(scan_lines("api/schema/openapi.yaml", &prose, &prose, None).is_empty());
    }

    #[test]
    fn cors_needs_both_wildcard_and_credentials() {
        let added = [(10, "app.use(cors({ origin: '*', credentials: true }));")];
        let findings = scan_lines("src/server.js", &added, &added, None);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].rule, "cors-wildcard-with-credentials");

        let added = [(4, "        .allow_origin(Any)")];
        let visible = [
            (3, "    let cors = CorsLayer::new()"),
            (4, "        .allow_origin(Any)"),
            (5, "        .allow_credentials(true);"),
        ];
        let findings = scan_lines("src/http.rs", &added, &visible, None);
        assert_eq!(
            findings.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
            vec!["cors-wildcard-with-credentials"]
        );

        let added = [(4, "        .allow_origin(Any)")];
        let findings = scan_lines("src/http.rs", &added, &added, None);
        assert_eq!(
            findings.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
            vec!["cors-wildcard-origin"]
        );
        assert_eq!(findings[0].severity, Severity::Low);

        let added = [
            (2, "    add_header Access-Control-Allow-Origin *;"),
            (3, "    add_header Access-Control-Allow-Credentials true;"),
        ];
        let findings = scan_lines("deploy/nginx.conf", &added, &added, None);
        assert_eq!(
            findings.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
            vec!["cors-wildcard-with-credentials"]
        );
    }

    #[test]
    fn rust_shell_commands_built_with_format_are_flagged() {
        let visible = [
            (20, "    let output = Command::new(\"sh\")"),
            (21, "        .arg(\"-c\")"),
            (22, "        .arg(format!(\"tar xzf {}\", archive))"),
            (23, "        .output()?;"),
        ];
        let findings = scan_lines("src/unpack.rs", &visible, &visible, None);
        assert_eq!(
            findings
                .iter()
                .map(|f| (f.rule.as_str(), f.line))
                .collect::<Vec<_>>(),
            vec![("command-injection", Some(20))]
        );
        let direct = [(
            20,
            "    let output = Command::new(\"tar\").arg(\"xzf\").arg(&archive).output()?;",
        )];
        assert!(scan_lines("src/unpack.rs", &direct, &direct, None).is_empty());
    }

    #[test]
    fn string_literal_positions_are_tracked() {
        assert!(is_inside_string_literal("let a = \"unsafe {\";", 10));
        assert!(!is_inside_string_literal("unsafe { x }", 0));
        assert!(!is_inside_string_literal("let a = \"\\\"\"; unsafe {", 15));
    }
}
