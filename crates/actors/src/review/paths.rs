//! What a changed file's path says about it: its language or format, whether it is a
//! test or fixture, documentation, generated or vendored code, a migration, a
//! dependency manifest or a lockfile, or a file that should never be committed.
//! Every rule that treats files differently asks here, so the rules agree.

/// The language or format of a file, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Go,
    Java,
    Kotlin,
    Ruby,
    Php,
    CSharp,
    Shell,
    Sql,
    Yaml,
    Json,
    Toml,
    EnvFile,
    IniLike,
    Dockerfile,
    Makefile,
    Markdown,
    Html,
    Other,
}

impl FileKind {
    /// Kinds whose unquoted values are expressions rather than literal text: the
    /// generic secret rule only reads quoted values there.
    pub fn is_programming_language(self) -> bool {
        matches!(
            self,
            FileKind::Rust
                | FileKind::Python
                | FileKind::JavaScript
                | FileKind::TypeScript
                | FileKind::Go
                | FileKind::Java
                | FileKind::Kotlin
                | FileKind::Ruby
                | FileKind::Php
                | FileKind::CSharp
        )
    }

    /// Kinds that count as source code for the "changed without tests" rule.
    pub fn is_testable_source(self) -> bool {
        self.is_programming_language()
    }
}

/// The file name: the part of the path after the last `/`.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The language or format of the file at `path`.
pub fn file_kind(path: &str) -> FileKind {
    let name = file_name(path);
    let lower_name = name.to_ascii_lowercase();
    if lower_name == ".env" || lower_name.starts_with(".env.") || lower_name.ends_with(".env") {
        return FileKind::EnvFile;
    }
    if lower_name == "dockerfile"
        || lower_name.starts_with("dockerfile.")
        || lower_name.ends_with(".dockerfile")
    {
        return FileKind::Dockerfile;
    }
    if lower_name == "makefile" || lower_name.ends_with(".mk") {
        return FileKind::Makefile;
    }
    let extension = match lower_name.rsplit_once('.') {
        Some((_, extension)) => extension,
        None => return FileKind::Other,
    };
    match extension {
        "rs" => FileKind::Rust,
        "py" | "pyi" => FileKind::Python,
        "js" | "jsx" | "mjs" | "cjs" => FileKind::JavaScript,
        "ts" | "tsx" | "mts" | "cts" => FileKind::TypeScript,
        "go" => FileKind::Go,
        "java" => FileKind::Java,
        "kt" | "kts" => FileKind::Kotlin,
        "rb" => FileKind::Ruby,
        "php" => FileKind::Php,
        "cs" => FileKind::CSharp,
        "sh" | "bash" | "zsh" => FileKind::Shell,
        "sql" => FileKind::Sql,
        "yml" | "yaml" => FileKind::Yaml,
        "json" | "jsonc" => FileKind::Json,
        "toml" => FileKind::Toml,
        "ini" | "cfg" | "conf" | "properties" | "npmrc" | "pypirc" => FileKind::IniLike,
        "md" | "markdown" | "rst" | "adoc" | "txt" => FileKind::Markdown,
        "html" | "htm" | "vue" | "svelte" => FileKind::Html,
        _ => FileKind::Other,
    }
}

/// Directory names that hold tests or test data.
const TEST_DIRECTORY_NAMES: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "spec",
    "specs",
    "fixture",
    "fixtures",
    "testdata",
    "test_data",
    "test-data",
    "__mocks__",
    "mocks",
    "e2e",
    "cypress",
    "__snapshots__",
];

/// True for tests, test fixtures and test data: generic secret rules skip these paths,
/// and provider-token and risky-code findings there are lowered to `low`.
pub fn is_test_path(path: &str) -> bool {
    let mut components = path.split('/').peekable();
    while let Some(component) = components.next() {
        let is_last = components.peek().is_none();
        if !is_last {
            let lower = component.to_ascii_lowercase();
            if TEST_DIRECTORY_NAMES.contains(&lower.as_str()) {
                return true;
            }
        }
    }
    is_test_file_name(file_name(path))
}

/// Test files by naming convention, wherever they live.
fn is_test_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .rsplit_once('.')
        .map_or(lower.as_str(), |(stem, _)| stem);
    stem.ends_with("_test")
        || stem.starts_with("test_")
        || stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with("_spec")
        || stem.ends_with("_tests")
        || lower == "conftest.py"
        || name.ends_with("Test.java")
        || name.ends_with("Tests.java")
        || name.ends_with("Test.kt")
        || name.ends_with("Tests.cs")
}

/// Lockfiles: generated, full of integrity hashes, never hand-written.
pub fn is_lockfile(path: &str) -> bool {
    matches!(
        file_name(path),
        "Cargo.lock"
            | "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "bun.lockb"
            | "bun.lock"
            | "go.sum"
            | "poetry.lock"
            | "Pipfile.lock"
            | "uv.lock"
            | "pdm.lock"
            | "Gemfile.lock"
            | "composer.lock"
            | "mix.lock"
            | "flake.lock"
            | "packages.lock.json"
            | "gradle.lockfile"
    )
}

/// The ecosystem a dependency manifest or lockfile belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecosystem {
    Cargo,
    Npm,
    Go,
    PythonRequirements,
    PythonProject,
    Pipenv,
    Bundler,
    Composer,
}

impl Ecosystem {
    /// The lockfile names that belong with this ecosystem's manifest.
    pub fn lockfile_names(self) -> &'static [&'static str] {
        match self {
            Ecosystem::Cargo => &["Cargo.lock"],
            Ecosystem::Npm => &[
                "package-lock.json",
                "npm-shrinkwrap.json",
                "yarn.lock",
                "pnpm-lock.yaml",
                "bun.lockb",
                "bun.lock",
            ],
            Ecosystem::Go => &["go.sum"],
            // requirements files pin versions themselves: no lockfile is expected.
            Ecosystem::PythonRequirements => &[],
            Ecosystem::PythonProject => &["poetry.lock", "uv.lock", "pdm.lock"],
            Ecosystem::Pipenv => &["Pipfile.lock"],
            Ecosystem::Bundler => &["Gemfile.lock"],
            Ecosystem::Composer => &["composer.lock"],
        }
    }

    /// The manifest names whose lockfile this ecosystem keeps.
    pub fn manifest_names(self) -> &'static [&'static str] {
        match self {
            Ecosystem::Cargo => &["Cargo.toml"],
            Ecosystem::Npm => &["package.json"],
            Ecosystem::Go => &["go.mod"],
            Ecosystem::PythonRequirements => &[],
            Ecosystem::PythonProject => &["pyproject.toml"],
            Ecosystem::Pipenv => &["Pipfile"],
            Ecosystem::Bundler => &["Gemfile"],
            Ecosystem::Composer => &["composer.json"],
        }
    }
}

/// The ecosystem of a dependency manifest, or `None` when the file is not one.
pub fn manifest_ecosystem(path: &str) -> Option<Ecosystem> {
    let name = file_name(path);
    match name {
        "Cargo.toml" => Some(Ecosystem::Cargo),
        "package.json" => Some(Ecosystem::Npm),
        "go.mod" => Some(Ecosystem::Go),
        "pyproject.toml" => Some(Ecosystem::PythonProject),
        "Pipfile" => Some(Ecosystem::Pipenv),
        "Gemfile" => Some(Ecosystem::Bundler),
        "composer.json" => Some(Ecosystem::Composer),
        _ if is_requirements_file(name) => Some(Ecosystem::PythonRequirements),
        _ => None,
    }
}

/// `requirements.txt`, `requirements-dev.txt`, `requirements/base.in` and the like.
fn is_requirements_file(name: &str) -> bool {
    name.starts_with("requirements") && (name.ends_with(".txt") || name.ends_with(".in"))
}

/// The ecosystem of a lockfile, or `None` when the file is not one.
pub fn lockfile_ecosystem(path: &str) -> Option<Ecosystem> {
    let name = file_name(path);
    [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::PythonProject,
        Ecosystem::Pipenv,
        Ecosystem::Bundler,
        Ecosystem::Composer,
    ]
    .into_iter()
    .find(|ecosystem| ecosystem.lockfile_names().contains(&name))
}

/// Documentation and prose: risky-code rules do not read these (examples are not code).
pub fn is_documentation(path: &str) -> bool {
    file_kind(path) == FileKind::Markdown
        || path.starts_with("docs/")
        || path.contains("/docs/")
        || file_name(path).eq_ignore_ascii_case("LICENSE")
}

/// Generated, minified or vendored files: no rule reads their lines, and they do not
/// count towards the size of the change.
pub fn is_generated_or_vendored(path: &str) -> bool {
    let name = file_name(path);
    is_lockfile(path)
        || path.starts_with("vendor/")
        || path.contains("/vendor/")
        || path.starts_with("node_modules/")
        || path.contains("/node_modules/")
        || path.starts_with("third_party/")
        || path.starts_with("dist/")
        || path.contains("/dist/")
        || name.ends_with(".min.js")
        || name.ends_with(".min.css")
        || name.ends_with(".map")
        || name.ends_with(".snap")
        || name.ends_with(".pb.go")
        || name.ends_with("_pb2.py")
        || name.ends_with(".generated.ts")
        || name.ends_with(".svg")
}

/// Database migrations: SQL or code that changes a schema.
pub fn is_migration_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.contains("migration")
        || lower.contains("db/migrate/")
        || lower.contains("alembic/versions/")
        || file_kind(path) == FileKind::Sql
}

/// A rollback script (`down.sql`, `0004_x.down.sql`, `..._down.sql`): dropping what the
/// matching up-migration created is its job.
pub fn is_down_migration(path: &str) -> bool {
    let lower = file_name(path).to_ascii_lowercase();
    lower == "down.sql" || lower.ends_with(".down.sql") || lower.ends_with("_down.sql")
}

/// Files that hold credentials by their nature and should never be committed: private
/// keys, keystores, password files and real (non-example) `.env` files.
pub fn is_sensitive_file_name(path: &str) -> bool {
    let name = file_name(path);
    let lower = name.to_ascii_lowercase();
    let is_real_env_file = (lower == ".env" || lower.starts_with(".env."))
        && ![
            "example", "sample", "template", "dist", "defaults", "test", "ci",
        ]
        .iter()
        .any(|marker| lower.ends_with(marker));
    is_real_env_file
        || matches!(
            lower.as_str(),
            "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | ".htpasswd" | ".pgpass" | ".netrc"
        )
        || lower.ends_with(".p12")
        || lower.ends_with(".pfx")
        || lower.ends_with(".jks")
        || lower.ends_with(".keystore")
        || lower.ends_with(".ppk")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds_follow_names_and_extensions() {
        let cases = [
            ("src/main.rs", FileKind::Rust),
            ("app/models/user.py", FileKind::Python),
            ("web/src/App.tsx", FileKind::TypeScript),
            ("web/src/index.mjs", FileKind::JavaScript),
            ("cmd/server/main.go", FileKind::Go),
            (".env", FileKind::EnvFile),
            ("deploy/.env.production", FileKind::EnvFile),
            ("config/prod.env", FileKind::EnvFile),
            ("Dockerfile", FileKind::Dockerfile),
            ("docker/api.Dockerfile", FileKind::Dockerfile),
            ("Makefile", FileKind::Makefile),
            (".github/workflows/ci.yml", FileKind::Yaml),
            ("config/app.ini", FileKind::IniLike),
            ("README.md", FileKind::Markdown),
            ("LICENSE", FileKind::Other),
            ("migrations/0001_init.sql", FileKind::Sql),
        ];
        for (path, expected) in cases {
            assert_eq!(file_kind(path), expected, "{path}");
        }
    }

    #[test]
    fn test_paths_are_recognised_by_directory_and_by_name() {
        let cases = [
            ("tests/api.rs", true),
            ("crates/store/tests/queue.rs", true),
            ("src/__tests__/App.test.tsx", true),
            ("pkg/server/handler_test.go", true),
            ("web/src/button.spec.ts", true),
            ("app/tests/test_views.py", true),
            ("test_models.py", true),
            ("spec/models/user_spec.rb", true),
            ("internal/testdata/config.yaml", true),
            ("fixtures/github/push.json", true),
            ("src/test/java/com/acme/UserServiceTest.java", true),
            ("conftest.py", true),
            ("src/main.rs", false),
            ("src/testing.rs", false),
            ("src/contest/entry.py", false),
            ("latest/notes.md", false),
            ("tests", false),
        ];
        for (path, expected) in cases {
            assert_eq!(is_test_path(path), expected, "{path}");
        }
    }

    #[test]
    fn manifests_and_lockfiles_pair_up() {
        assert_eq!(manifest_ecosystem("Cargo.toml"), Some(Ecosystem::Cargo));
        assert_eq!(
            manifest_ecosystem("crates/api/Cargo.toml"),
            Some(Ecosystem::Cargo)
        );
        assert_eq!(
            manifest_ecosystem("requirements-dev.txt"),
            Some(Ecosystem::PythonRequirements)
        );
        assert_eq!(manifest_ecosystem("src/lib.rs"), None);
        assert_eq!(lockfile_ecosystem("web/yarn.lock"), Some(Ecosystem::Npm));
        assert_eq!(lockfile_ecosystem("go.sum"), Some(Ecosystem::Go));
        assert_eq!(lockfile_ecosystem("go.mod"), None);
        assert!(is_lockfile("web/pnpm-lock.yaml"));
        assert!(!is_lockfile("web/package.json"));
    }

    #[test]
    fn sensitive_file_names_exclude_examples() {
        let cases = [
            (".env", true),
            ("deploy/.env.production", true),
            (".env.example", false),
            (".env.sample", false),
            ("keys/id_rsa", true),
            ("keys/id_rsa.pub", false),
            ("certs/client.p12", true),
            ("src/env.rs", false),
        ];
        for (path, expected) in cases {
            assert_eq!(is_sensitive_file_name(path), expected, "{path}");
        }
    }

    #[test]
    fn migrations_and_rollbacks_are_told_apart() {
        assert!(is_migration_path("migrations/20240101_add_users.sql"));
        assert!(is_migration_path("db/migrate/20240101_add_users.rb"));
        assert!(is_migration_path("app/migrations/0004_remove_field.py"));
        assert!(!is_migration_path("src/main.rs"));
        assert!(is_down_migration("migrations/0004_users/down.sql"));
        assert!(is_down_migration("migrations/0004_users.down.sql"));
        assert!(!is_down_migration("migrations/0004_users.up.sql"));
    }
}
