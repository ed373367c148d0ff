//! Drift between Figma components and code components: code components are found by
//! glob in the repository's tree and named by their file (`Button.tsx`,
//! `text-field/index.tsx` → `TextField`); their props are read from the
//! `{Name}Props` interface or type. A Figma component is matched by its name's last
//! segment in PascalCase (`Forms/Text field` → `TextField`), its properties by their
//! names in camelCase, variant options in kebab-case.

use std::collections::{BTreeMap, BTreeSet};

use companyos_store::Difference;

use super::spec::{ComponentSpec, PropertyKind};

/// A Figma name as a component name: its last `/` segment in PascalCase.
pub fn component_name(figma_name: &str) -> String {
    let last = figma_name.rsplit('/').next().unwrap_or(figma_name);
    words(last)
        .iter()
        .map(|word| capitalised(word))
        .collect::<String>()
}

/// A Figma property name as a prop name: camelCase (`Has icon` → `hasIcon`).
pub fn prop_name(figma_name: &str) -> String {
    let words = words(figma_name);
    let mut name = String::new();
    for (n, word) in words.iter().enumerate() {
        if n == 0 {
            name.push_str(&word.to_lowercase());
        } else {
            name.push_str(&capitalised(word));
        }
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'p');
    }
    // A word JavaScript reserves cannot be a prop's binding.
    if RESERVED.contains(&name.as_str()) {
        name.push_str("Value");
    }
    name
}

const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "implements",
    "interface",
    "package",
    "private",
    "protected",
    "public",
    "await",
    "children",
    "className",
];

/// A variant option as code spells it: kebab-case (`Extra large` → `extra-large`).
pub fn option_value(option: &str) -> String {
    words(option)
        .iter()
        .map(|word| word.to_lowercase())
        .collect::<Vec<_>>()
        .join("-")
}

/// The words of a name: split at anything not a letter or digit, and where a lower-case
/// letter is followed by a capital (`hasIcon` → has, Icon).
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A component's name from its file's path: the file's stem, or its folder's name for
/// an `index` file. `None` for stories, tests and type declarations.
pub fn code_component_name(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.split('/').collect();
    let file = parts.pop()?;
    let stem = file.split('.').next().unwrap_or(file);
    let rest = &file[stem.len()..];
    if [".stories.", ".story.", ".test.", ".spec.", ".d."]
        .iter()
        .any(|marker| rest.starts_with(marker))
    {
        return None;
    }
    let stem = if stem == "index" { parts.pop()? } else { stem };
    let name = component_name(stem);
    (!name.is_empty()).then_some(name)
}

/// A prop of a code component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeProp {
    pub name: String,
    pub kind: CodeKind,
}

/// A prop's type as far as drift cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeKind {
    /// A union of string literals.
    Options(Vec<String>),
    Boolean,
    Text,
    Node,
    Other(String),
}

impl CodeKind {
    fn describe(&self) -> String {
        match self {
            CodeKind::Options(options) => format!("one of {}", options.join(", ")),
            CodeKind::Boolean => "boolean".into(),
            CodeKind::Text => "string".into(),
            CodeKind::Node => "ReactNode".into(),
            CodeKind::Other(text) => text.clone(),
        }
    }
}

/// The props of `component` in a TypeScript source: the members of its
/// `interface {component}Props` or `type {component}Props = {…}`, or else of the first
/// `…Props` declared. `None` when the file declares none.
pub fn code_props(source: &str, component: &str) -> Option<Vec<CodeProp>> {
    let source = strip_comments(source);
    let wanted = format!("{component}Props");
    let body = props_body(&source, Some(&wanted)).or_else(|| props_body(&source, None))?;
    let mut props = Vec::new();
    for member in split_members(body) {
        let Some((name, ty)) = member.split_once(':') else {
            continue;
        };
        let name = name.trim().trim_end_matches('?').trim();
        let name = name.trim_matches(|c| c == '\'' || c == '"');
        if name.is_empty() || name.contains(['(', '[', ' ']) {
            continue;
        }
        props.push(CodeProp {
            name: name.to_owned(),
            kind: kind_of(ty.trim()),
        });
    }
    Some(props)
}

fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |at| &after[at..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |at| &after[at + 2..]);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The text between the braces of a `…Props` declaration.
fn props_body<'a>(source: &'a str, name: Option<&str>) -> Option<&'a str> {
    for keyword in ["interface ", "type "] {
        let mut from = 0;
        while let Some(at) = source[from..].find(keyword) {
            let start = from + at + keyword.len();
            from = start;
            let declared: String = source[start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let fits = match name {
                Some(name) => declared == name,
                None => declared.ends_with("Props"),
            };
            if !fits {
                continue;
            }
            let open = start + source[start..].find('{')?;
            let mut depth = 0usize;
            for (offset, c) in source[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(&source[open + 1..open + offset]);
                        }
                    }
                    _ => {}
                }
            }
            return None;
        }
    }
    None
}

/// Members split at `;`, `,` or line ends outside brackets.
fn split_members(body: &str) -> Vec<String> {
    let mut members = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    let mut previous = ' ';
    for c in body.chars() {
        match c {
            '{' | '(' | '[' | '<' => depth += 1,
            // `=>` closes nothing.
            '>' if previous == '=' => {}
            '}' | ')' | ']' | '>' => depth -= 1,
            _ => {}
        }
        previous = c;
        if depth <= 0 && matches!(c, ';' | ',' | '\n') {
            // A union continued on the next line (`| 'large'`) is the same member.
            if c == '\n' && current.trim_end().ends_with('|') {
                current.push(' ');
                continue;
            }
            if !current.trim().is_empty() {
                members.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        members.push(current);
    }
    // A line that starts with `|` continues the member before it.
    let mut joined: Vec<String> = Vec::new();
    for member in members {
        if member.trim_start().starts_with('|')
            && let Some(last) = joined.last_mut()
        {
            last.push_str(&member);
        } else {
            joined.push(member);
        }
    }
    joined
}

fn kind_of(ty: &str) -> CodeKind {
    let parts: Vec<&str> = ty
        .split('|')
        .map(str::trim)
        .filter(|part| !part.is_empty() && *part != "undefined")
        .collect();
    let literal = |part: &str| {
        (part.len() >= 2
            && ((part.starts_with('\'') && part.ends_with('\''))
                || (part.starts_with('"') && part.ends_with('"'))))
        .then(|| part[1..part.len() - 1].to_owned())
    };
    if !parts.is_empty() && parts.iter().all(|part| literal(part).is_some()) {
        return CodeKind::Options(parts.iter().filter_map(|part| literal(part)).collect());
    }
    match parts.as_slice() {
        ["boolean"] => CodeKind::Boolean,
        ["string"] => CodeKind::Text,
        [node] if node.ends_with("ReactNode") || node.ends_with("ReactElement") => CodeKind::Node,
        _ => CodeKind::Other(ty.to_owned()),
    }
}

/// Props a code component has whatever its design: children, styling, handlers,
/// attributes.
fn is_plumbing(prop: &str) -> bool {
    matches!(
        prop,
        "children" | "className" | "style" | "id" | "ref" | "key" | "asChild" | "as" | "testId"
    ) || prop.starts_with("aria-")
        || prop.starts_with("data-")
        || (prop.len() > 2
            && prop.starts_with("on")
            && prop[2..].starts_with(|c: char| c.is_ascii_uppercase()))
}

/// What differs between a Figma component and the props of its code component.
pub fn differences(spec: &ComponentSpec, props: &[CodeProp]) -> Vec<Difference> {
    let code: BTreeMap<&str, &CodeKind> = props
        .iter()
        .map(|prop| (prop.name.as_str(), &prop.kind))
        .collect();
    let mut found = Vec::new();
    let mut named = BTreeSet::new();
    for property in &spec.properties {
        let name = prop_name(&property.name);
        named.insert(name.clone());
        let Some(kind) = code.get(name.as_str()) else {
            found.push(Difference::PropertyMissingInCode { property: name });
            continue;
        };
        match (&property.kind, kind) {
            (PropertyKind::Variant { options, .. }, CodeKind::Options(code_options)) => {
                let figma: BTreeSet<String> =
                    options.iter().map(|option| option_value(option)).collect();
                let code: BTreeSet<String> = code_options.iter().cloned().collect();
                if figma != code {
                    found.push(Difference::OptionsDiffer {
                        property: name,
                        only_in_figma: figma.difference(&code).cloned().collect(),
                        only_in_code: code.difference(&figma).cloned().collect(),
                    });
                }
            }
            (PropertyKind::Variant { .. }, CodeKind::Text) => {}
            (PropertyKind::Boolean { .. }, CodeKind::Boolean) => {}
            (PropertyKind::Text { .. }, CodeKind::Text | CodeKind::Node) => {}
            (PropertyKind::InstanceSwap { .. }, CodeKind::Node | CodeKind::Other(_)) => {}
            (figma, code) => found.push(Difference::KindDiffers {
                property: name,
                figma: match figma {
                    PropertyKind::Variant { .. } => "variant",
                    PropertyKind::Boolean { .. } => "boolean",
                    PropertyKind::Text { .. } => "text",
                    PropertyKind::InstanceSwap { .. } => "instance swap",
                }
                .to_owned(),
                code: code.describe(),
            }),
        }
    }
    for prop in props {
        if !named.contains(&prop.name) && !is_plumbing(&prop.name) {
            found.push(Difference::PropertyMissingInFigma {
                property: prop.name.clone(),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::spec::ComponentProperty;
    use super::*;

    #[test]
    fn names_become_code_names() {
        assert_eq!(component_name("Forms/Text field"), "TextField");
        assert_eq!(component_name("button"), "Button");
        assert_eq!(prop_name("Has icon"), "hasIcon");
        assert_eq!(prop_name("iconLeft"), "iconLeft");
        assert_eq!(option_value("Extra large"), "extra-large");
        assert_eq!(
            code_component_name("src/components/Button.tsx").as_deref(),
            Some("Button")
        );
        assert_eq!(
            code_component_name("src/components/text-field/index.tsx").as_deref(),
            Some("TextField")
        );
        assert_eq!(
            code_component_name("src/components/Button.stories.tsx"),
            None
        );
    }

    #[test]
    fn props_are_read_from_the_interface() {
        let source = r#"
            import type { ReactNode } from 'react';
            // The button.
            export interface ButtonProps {
              /** How big */
              size?: 'small' | 'medium'
                | 'large';
              disabled?: boolean;
              label: string;
              icon?: ReactNode;
              onClick?: () => void;
              tone: "brand" | "neutral", children?: ReactNode
            }
        "#;
        let props = code_props(source, "Button").expect("props");
        let kinds: BTreeMap<_, _> = props.iter().map(|p| (p.name.as_str(), &p.kind)).collect();
        assert_eq!(
            kinds["size"],
            &CodeKind::Options(vec!["small".into(), "medium".into(), "large".into()])
        );
        assert_eq!(kinds["disabled"], &CodeKind::Boolean);
        assert_eq!(kinds["icon"], &CodeKind::Node);
        assert_eq!(
            kinds["tone"],
            &CodeKind::Options(vec!["brand".into(), "neutral".into()])
        );
        assert!(kinds.contains_key("onClick"));
        assert_eq!(props.len(), 7, "{props:?}");
        assert!(code_props("export const x = 1;", "Button").is_none());
    }

    #[test]
    fn differences_name_each_mismatch() {
        let spec = ComponentSpec {
            name: "Button".into(),
            properties: vec![
                ComponentProperty {
                    name: "Size".into(),
                    kind: PropertyKind::Variant {
                        options: vec!["Small".into(), "Medium".into(), "Extra large".into()],
                        default: "Medium".into(),
                    },
                },
                ComponentProperty {
                    name: "Disabled".into(),
                    kind: PropertyKind::Boolean { default: false },
                },
                ComponentProperty {
                    name: "Label".into(),
                    kind: PropertyKind::Text {
                        default: "Go".into(),
                    },
                },
            ],
            ..ComponentSpec::default()
        };
        let props = code_props(
            "type ButtonProps = { size: 'small' | 'medium' | 'large'; disabled: string; tone?: 'a'; onClick(): void; className?: string }",
            "Button",
        )
        .expect("props");
        let found = differences(&spec, &props);
        assert_eq!(
            found,
            vec![
                Difference::OptionsDiffer {
                    property: "size".into(),
                    only_in_figma: vec!["extra-large".into()],
                    only_in_code: vec!["large".into()],
                },
                Difference::KindDiffers {
                    property: "disabled".into(),
                    figma: "boolean".into(),
                    code: "string".into(),
                },
                Difference::PropertyMissingInCode {
                    property: "label".into()
                },
                Difference::PropertyMissingInFigma {
                    property: "tone".into()
                },
            ]
        );
    }
}
