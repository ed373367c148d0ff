//! CODEOWNERS resolution with GitHub's semantics: each line is a gitignore-style
//! pattern followed by owners (`@user`, `@org/team` or an e-mail address, kept as
//! written); for each path the last matching line wins, and a matching line without
//! owners leaves the path unowned. As on GitHub, `!` negation, `[ ]` character ranges
//! and `\#` escapes are not supported: such lines are skipped.
//!
//! Patterns: a leading `/` or a `/` inside the pattern anchors it at the repository
//! root, otherwise it matches at any depth; a trailing `/` matches directories only;
//! `*` and `?` stay within one path segment; `**` spans any number of segments; a
//! pattern naming a directory owns everything below it, except that a final `*`
//! segment (`docs/*`) only matches the directory's direct children.

/// One usable line of a CODEOWNERS file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnershipRule {
    pub pattern: String,
    pub owners: Vec<String>,
    segments: Vec<String>,
    directory_only: bool,
}

impl OwnershipRule {
    /// Reads one line; `None` for blanks, comments and unsupported patterns.
    pub fn parse(line: &str) -> Option<OwnershipRule> {
        let mut tokens = line.split_whitespace();
        let pattern = tokens.next()?;
        if pattern.starts_with('#')
            || pattern.starts_with('!')
            || pattern.starts_with('\\')
            || pattern.contains('[')
            || pattern.contains(']')
        {
            return None;
        }
        let owners: Vec<String> = tokens
            .take_while(|token| !token.starts_with('#'))
            .map(str::to_string)
            .collect();
        let directory_only = pattern.ends_with('/') && pattern.len() > 1;
        let trimmed = pattern.trim_end_matches('/');
        let anchored = trimmed.starts_with('/') || trimmed.trim_start_matches('/').contains('/');
        let body = trimmed.trim_start_matches('/');
        let mut segments: Vec<String> = Vec::new();
        if !anchored {
            segments.push("**".to_string());
        }
        segments.extend(
            body.split('/')
                .filter(|segment| !segment.is_empty())
                .map(str::to_string),
        );
        if body.is_empty() {
            // "/" alone: the whole repository.
            segments = vec!["**".to_string()];
        }
        Some(OwnershipRule {
            pattern: pattern.to_string(),
            owners,
            segments,
            directory_only,
        })
    }

    /// Whether this rule covers the file at `path` (relative to the repository root).
    pub fn matches(&self, path: &str) -> bool {
        let path_segments: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|segment| !segment.is_empty())
            .collect();
        let pattern_segments: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        let last_is_star_only = pattern_segments.last() == Some(&"*");
        // Directory semantics: the pattern may match a leading part of the path (a
        // directory), which then owns everything below it.
        let allow_prefix = !last_is_star_only;
        match_segments(
            &pattern_segments,
            &path_segments,
            allow_prefix,
            self.directory_only,
        )
    }
}

/// Matches pattern segments against path segments. With `allow_prefix`, the pattern
/// may stop before the path ends (it named a directory). With `directory_only`, it
/// must stop before the path ends (the last path segment is a file).
fn match_segments(
    pattern: &[&str],
    path: &[&str],
    allow_prefix: bool,
    directory_only: bool,
) -> bool {
    match pattern.split_first() {
        None => {
            if path.is_empty() {
                !directory_only
            } else {
                allow_prefix || directory_only
            }
        }
        Some((&"**", rest)) => {
            if rest.is_empty() {
                // A trailing `**` matches everything below, but not the directory itself.
                return !path.is_empty();
            }
            (0..=path.len()).any(|skip| {
                path.get(skip..).is_some_and(|remaining| {
                    match_segments(rest, remaining, allow_prefix, directory_only)
                })
            })
        }
        Some((segment, rest)) => match path.split_first() {
            Some((path_segment, path_rest)) => {
                wildcard_matches(segment.as_bytes(), path_segment.as_bytes())
                    && match_segments(rest, path_rest, allow_prefix, directory_only)
            }
            None => false,
        },
    }
}

/// `*` (any run) and `?` (one character) within one segment.
fn wildcard_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut pattern_index, mut text_index) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while text_index < text.len() {
        match pattern.get(pattern_index) {
            Some(b'*') => {
                star = Some((pattern_index, text_index));
                pattern_index += 1;
            }
            Some(b'?') => {
                pattern_index += 1;
                text_index += 1;
            }
            Some(byte) if text.get(text_index) == Some(byte) => {
                pattern_index += 1;
                text_index += 1;
            }
            _ => match star {
                Some((star_pattern_index, star_text_index)) => {
                    pattern_index = star_pattern_index + 1;
                    text_index = star_text_index + 1;
                    star = Some((star_pattern_index, star_text_index + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(pattern_index..)
        .is_some_and(|rest| rest.iter().all(|byte| *byte == b'*'))
}

/// The usable rules of a CODEOWNERS file, in file order.
pub fn parse_codeowners(codeowners: &str) -> Vec<OwnershipRule> {
    codeowners
        .lines()
        .filter_map(OwnershipRule::parse)
        .collect()
}

/// The owners of one path: the owners of the last matching rule (empty if none
/// matches, or if the last match has no owners).
pub fn owners_of<'rules>(rules: &'rules [OwnershipRule], path: &str) -> &'rules [String] {
    rules
        .iter()
        .rev()
        .find(|rule| rule.matches(path))
        .map_or(&[], |rule| rule.owners.as_slice())
}

/// The reviewers to request for a pull request: the owners of every changed path,
/// each once, in order of first appearance.
pub fn codeowners_reviewers(codeowners: &str, changed_paths: &[&str]) -> Vec<String> {
    let rules = parse_codeowners(codeowners);
    let mut reviewers: Vec<String> = Vec::new();
    for path in changed_paths {
        for owner in owners_of(&rules, path) {
            if !reviewers.contains(owner) {
                reviewers.push(owner.clone());
            }
        }
    }
    reviewers
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from GitHub's documentation on code owners.
    const GITHUB_EXAMPLE: &str = "\
# This is a comment.
# Each line is a file pattern followed by one or more owners.

*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
/apps/ @octocat
/apps/github
";

    fn owners(path: &str) -> Vec<String> {
        let rules = parse_codeowners(GITHUB_EXAMPLE);
        owners_of(&rules, path).to_vec()
    }

    #[test]
    fn githubs_documented_example_resolves_as_documented() {
        let cases: [(&str, &[&str]); 14] = [
            ("README.md", &["@global-owner1", "@global-owner2"]),
            ("src/index.js", &["@js-owner"]),
            ("main.go", &["docs@example.com"]),
            ("notes/todo.txt", &["@octo-org/octocats"]),
            ("build/logs/today.log", &["@octocat"]),
            ("docs/getting-started.md", &["@doctocat"]),
            ("docs/build-app/troubleshooting.md", &["@doctocat"]),
            ("scripts/deploy.sh", &["@doctocat", "@octocat"]),
            ("deeply/nested/logs/x.log", &["@octocat"]),
            ("apps/web/index.html", &["@octocat"]),
            ("apps/github/main.rb", &[]),
            ("lib/apps/x.rb", &["@octocat"]),
            ("src/main.rs", &["@global-owner1", "@global-owner2"]),
            ("build/logs/nested/deep.log", &["@octocat"]),
        ];
        for (path, expected) in cases {
            assert_eq!(owners(path), expected.to_vec(), "{path}");
        }
    }

    #[test]
    fn star_segment_matches_direct_children_only() {
        let rules = parse_codeowners("docs/* @docs\n");
        assert_eq!(owners_of(&rules, "docs/a.md"), ["@docs".to_string()]);
        assert!(owners_of(&rules, "docs/nested/b.md").is_empty());
        assert!(owners_of(&rules, "other/docs/a.md").is_empty());
    }

    #[test]
    fn patterns_follow_gitignore_anchoring() {
        let cases = [
            ("*.rs", "crates/api/src/lib.rs", true),
            ("*.rs", "build.rs", true),
            ("/Cargo.toml", "Cargo.toml", true),
            ("/Cargo.toml", "crates/api/Cargo.toml", false),
            ("Cargo.toml", "crates/api/Cargo.toml", true),
            ("crates/api/", "crates/api/src/lib.rs", true),
            ("crates/api/", "other/crates/api/src/lib.rs", false),
            ("crates/api", "crates/api/src/lib.rs", true),
            ("migrations/", "db/migrations/0001.sql", true),
            ("logs/", "logs", false),
            ("/src/**/handlers/", "src/a/b/handlers/x.rs", true),
            ("/src/**/handlers/", "src/handlers/x.rs", true),
            ("/src/**", "src/x.rs", true),
            ("/src/**", "srcs/x.rs", false),
            ("*.test.?s", "web/app.test.ts", true),
            ("*", "anything/at/all.txt", true),
            ("/", "x/y.txt", true),
            ("README.md", "docs/README.md", true),
            ("docs/*.md", "docs/a.md", true),
            ("docs/*.md", "docs/sub/a.md", false),
        ];
        for (pattern, path, expected) in cases {
            let rule = OwnershipRule::parse(&format!("{pattern} @owner"));
            assert_eq!(
                rule.map(|rule| rule.matches(path)),
                Some(expected),
                "{pattern} vs {path}"
            );
        }
    }

    #[test]
    fn unsupported_and_empty_lines_are_skipped() {
        let rules = parse_codeowners(
            "\n   \n# comment\n!*.md @nobody\n[Ss]rc/ @nobody\n\\#file @nobody\n*.md @docs\n",
        );
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].owners, vec!["@docs".to_string()]);
    }

    #[test]
    fn reviewers_are_collected_once_in_order() {
        let codeowners = "* @acme/platform\n*.ts @acme/web ada@example.com\n/migrations/ @acme/data @acme/platform\n/vendor/\n";
        let reviewers = codeowners_reviewers(
            codeowners,
            &[
                "web/app.ts",
                "migrations/0002.sql",
                "README.md",
                "vendor/lib.c",
                "web/util.ts",
            ],
        );
        assert_eq!(
            reviewers,
            vec![
                "@acme/web",
                "ada@example.com",
                "@acme/data",
                "@acme/platform"
            ]
        );
        assert!(codeowners_reviewers("", &["a.rs"]).is_empty());
        assert!(codeowners_reviewers("* @x", &[]).is_empty());
    }
}
