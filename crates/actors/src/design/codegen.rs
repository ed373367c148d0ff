//! Code from a Figma component: a React + TypeScript + Tailwind component and its
//! story. Props come from the component's properties (variants as string unions,
//! booleans, texts, instance swaps as nodes); the layout from its auto-layout (flex,
//! gap, padding, alignment); colours, corners and type from its fills, strokes and
//! first text, as Tailwind arbitrary values with the Figma style named beside them.
//! Classes that change with a variant property go in a map per property: what every
//! variant shares is the base, what changes with a property is that property's.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::drift::{component_name, option_value, prop_name};
use super::spec::{ComponentSpec, Direction, Look, PropertyKind};

/// A file of generated code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedFile {
    /// The path in the repository.
    pub path: String,
    pub contents: String,
}

/// The component's name in code for a Figma name (never empty, never starting with a
/// digit).
pub fn code_name(figma_name: &str) -> String {
    let name = component_name(figma_name);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Component{name}")
    } else {
        name
    }
}

/// The component and its story, in `directory`.
pub fn generate(spec: &ComponentSpec, directory: &str) -> Vec<GeneratedFile> {
    let name = code_name(&spec.name);
    let directory = directory.trim_matches('/');
    let path = |file: String| {
        if directory.is_empty() {
            file
        } else {
            format!("{directory}/{file}")
        }
    };
    vec![
        GeneratedFile {
            path: path(format!("{name}.tsx")),
            contents: component(spec, &name),
        },
        GeneratedFile {
            path: path(format!("{name}.stories.tsx")),
            contents: story(spec, &name),
        },
    ]
}

/// A TypeScript string literal.
fn literal(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Text safe inside a `/** … */` comment.
fn comment(text: &str) -> String {
    text.replace("*/", "* /").replace('\n', " ")
}

fn pixels(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{}px", value as i64)
    } else {
        format!("{value}px")
    }
}

fn weight(value: u32) -> &'static str {
    match value {
        0..=149 => "font-thin",
        150..=249 => "font-extralight",
        250..=349 => "font-light",
        350..=449 => "font-normal",
        450..=549 => "font-medium",
        550..=649 => "font-semibold",
        650..=749 => "font-bold",
        750..=849 => "font-extrabold",
        _ => "font-black",
    }
}

/// The Tailwind classes of a frame's look (not its text).
fn frame_classes(look: &Look) -> Vec<String> {
    let mut classes = Vec::new();
    if let Some(layout) = &look.layout {
        classes.push("flex".to_owned());
        classes.push(
            match layout.direction {
                Direction::Horizontal => "flex-row",
                Direction::Vertical => "flex-col",
            }
            .to_owned(),
        );
        if layout.wrap {
            classes.push("flex-wrap".to_owned());
        }
        if layout.gap > 0.0 {
            classes.push(format!("gap-[{}]", pixels(layout.gap)));
        }
        let [top, right, bottom, left] = layout.padding;
        if top == right && right == bottom && bottom == left {
            if top > 0.0 {
                classes.push(format!("p-[{}]", pixels(top)));
            }
        } else if top == bottom && left == right {
            if left > 0.0 {
                classes.push(format!("px-[{}]", pixels(left)));
            }
            if top > 0.0 {
                classes.push(format!("py-[{}]", pixels(top)));
            }
        } else {
            for (side, value) in [("pt", top), ("pr", right), ("pb", bottom), ("pl", left)] {
                if value > 0.0 {
                    classes.push(format!("{side}-[{}]", pixels(value)));
                }
            }
        }
        if let Some(justify) = match layout.primary_align.as_str() {
            "CENTER" => Some("justify-center"),
            "MAX" => Some("justify-end"),
            "SPACE_BETWEEN" => Some("justify-between"),
            _ => None,
        } {
            classes.push(justify.to_owned());
        }
        if let Some(items) = match layout.counter_align.as_str() {
            "CENTER" => Some("items-center"),
            "MAX" => Some("items-end"),
            "BASELINE" => Some("items-baseline"),
            _ => None,
        } {
            classes.push(items.to_owned());
        }
    }
    if let Some(fill) = &look.fill {
        classes.push(format!("bg-[{}]", fill.hex));
    }
    if let Some(stroke) = &look.stroke {
        classes.push("border".to_owned());
        classes.push(format!("border-[{}]", stroke.hex));
    }
    if let Some(radius) = look.corner_radius {
        classes.push(format!("rounded-[{}]", pixels(radius)));
    }
    classes
}

/// The Tailwind classes of a look's text.
fn text_classes(look: &Look) -> Vec<String> {
    let Some(text) = &look.text else {
        return Vec::new();
    };
    let mut classes = vec![
        format!("text-[{}]", pixels(text.font_size)),
        weight(text.font_weight).to_owned(),
    ];
    if let Some(family) = &text.font_family {
        let family: String = family
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ')
            .map(|c| if c == ' ' { '_' } else { c })
            .collect();
        if !family.is_empty() {
            classes.push(format!("font-['{family}']"));
        }
    }
    if let Some(line_height) = text.line_height {
        classes.push(format!("leading-[{}]", pixels(line_height.round())));
    }
    if let Some(colour) = &text.colour {
        classes.push(format!("text-[{}]", colour.hex));
    }
    classes
}

/// Classes split into what every variant shares and what each variant property's
/// options add.
struct Split {
    base: Vec<String>,
    /// Variant property (its Figma name) → option (Figma's) → classes.
    by_property: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

fn split(spec: &ComponentSpec, classes_of: impl Fn(&Look) -> Vec<String>) -> Split {
    let defaults = spec.default_values();
    let default: BTreeSet<String> = classes_of(&spec.look).into_iter().collect();
    let mut by_property = BTreeMap::new();
    let mut changing: BTreeSet<String> = BTreeSet::new();
    let mut per_option: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for property in &spec.properties {
        let PropertyKind::Variant { options, .. } = &property.kind else {
            continue;
        };
        let mut changes: BTreeSet<String> = BTreeSet::new();
        let mut options_classes = BTreeMap::new();
        for option in options {
            let mut wanted = defaults.clone();
            wanted.insert(property.name.clone(), option.clone());
            let classes: BTreeSet<String> = spec
                .variants
                .iter()
                .find(|variant| variant.values == wanted)
                .map(|variant| classes_of(&variant.look).into_iter().collect())
                .unwrap_or_else(|| default.clone());
            changes.extend(classes.symmetric_difference(&default).cloned());
            options_classes.insert(option.clone(), classes);
        }
        changing.extend(changes.iter().cloned());
        per_option.insert(
            property.name.clone(),
            options_classes
                .into_iter()
                .map(|(option, classes)| {
                    (
                        option,
                        classes
                            .intersection(&changes)
                            .cloned()
                            .collect::<BTreeSet<_>>(),
                    )
                })
                .collect(),
        );
    }
    // Keep the order classes_of gives (layout, then colour, then corners).
    let mut all: Vec<String> = classes_of(&spec.look);
    for variant in &spec.variants {
        for class in classes_of(&variant.look) {
            if !all.contains(&class) {
                all.push(class);
            }
        }
    }
    let ordered = |set: &BTreeSet<String>| -> Vec<String> {
        all.iter()
            .filter(|class| set.contains(*class))
            .cloned()
            .collect()
    };
    let base: BTreeSet<String> = default.difference(&changing).cloned().collect();
    for (property, options) in per_option {
        by_property.insert(
            property,
            options
                .into_iter()
                .map(|(option, classes)| (option, ordered(&classes)))
                .collect(),
        );
    }
    Split {
        base: ordered(&base),
        by_property,
    }
}

fn pascal(text: &str) -> String {
    let camel = prop_name(text);
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn component(spec: &ComponentSpec, name: &str) -> String {
    let frame = split(spec, frame_classes);
    let text = split(spec, text_classes);
    let mut out = String::new();
    out.push_str(&format!(
        "// Generated by CompanyOS from the Figma component {}.\n",
        literal(&spec.name)
    ));
    let styles: Vec<String> = [
        spec.look.fill.as_ref().and_then(|fill| fill.style.clone()),
        spec.look
            .stroke
            .as_ref()
            .and_then(|stroke| stroke.style.clone()),
        spec.look.text.as_ref().and_then(|text| text.style.clone()),
        spec.look
            .text
            .as_ref()
            .and_then(|text| text.colour.as_ref())
            .and_then(|colour| colour.style.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !styles.is_empty() {
        out.push_str(&format!(
            "// Figma styles: {}.\n",
            styles.join(", ").replace('\n', " ")
        ));
    }
    out.push_str("import type { ReactNode } from 'react';\n\n");

    // Variant types.
    for property in &spec.properties {
        if let PropertyKind::Variant { options, .. } = &property.kind {
            let values: Vec<String> = options
                .iter()
                .map(|option| literal(&option_value(option)))
                .collect();
            out.push_str(&format!(
                "export type {name}{} = {};\n",
                pascal(&property.name),
                if values.is_empty() {
                    "string".to_owned()
                } else {
                    values.join(" | ")
                }
            ));
        }
    }
    out.push_str(&format!("\nexport interface {name}Props {{\n"));
    for property in &spec.properties {
        let prop = prop_name(&property.name);
        let ty = match &property.kind {
            PropertyKind::Variant { .. } => format!("{name}{}", pascal(&property.name)),
            PropertyKind::Boolean { .. } => "boolean".into(),
            PropertyKind::Text { .. } => "string".into(),
            PropertyKind::InstanceSwap { .. } => "ReactNode".into(),
        };
        out.push_str(&format!(
            "  /** Figma: {} */\n  {prop}?: {ty};\n",
            comment(&property.name)
        ));
    }
    out.push_str("  children?: ReactNode;\n  className?: string;\n}\n");

    // Class maps.
    let mut maps = Vec::new();
    for (which, split) in [("Classes", &frame), ("TextClasses", &text)] {
        for property in &spec.properties {
            let Some(options) = split.by_property.get(&property.name) else {
                continue;
            };
            if options.values().all(Vec::is_empty) {
                continue;
            }
            let prop = prop_name(&property.name);
            let map = format!("{prop}{which}");
            out.push_str(&format!(
                "\nconst {map}: Record<{name}{}, string> = {{\n",
                pascal(&property.name)
            ));
            // Two Figma options spelled alike in code (`Large`, `large`) are one key.
            let mut keys = BTreeSet::new();
            for (option, classes) in options {
                let key = option_value(option);
                if !keys.insert(key.clone()) {
                    continue;
                }
                out.push_str(&format!(
                    "  {}: {},\n",
                    literal(&key),
                    literal(&classes.join(" "))
                ));
            }
            out.push_str("};\n");
            maps.push((which, map, prop));
        }
    }

    // The component.
    out.push('\n');
    if let Some(description) = &spec.description {
        out.push_str(&format!("/** {} */\n", comment(description)));
    }
    let mut parameters: Vec<String> = Vec::new();
    for property in &spec.properties {
        let prop = prop_name(&property.name);
        parameters.push(match &property.kind {
            PropertyKind::Variant { options, default } => {
                let default = if options.contains(default) {
                    default.clone()
                } else {
                    options.first().cloned().unwrap_or_default()
                };
                if options.is_empty() {
                    prop
                } else {
                    format!("{prop} = {}", literal(&option_value(&default)))
                }
            }
            PropertyKind::Boolean { default } => format!("{prop} = {default}"),
            PropertyKind::Text { default } => format!("{prop} = {}", literal(default)),
            PropertyKind::InstanceSwap { .. } => prop,
        });
    }
    parameters.push("children".into());
    parameters.push("className".into());
    out.push_str(&format!(
        "export function {name}({{ {} }}: {name}Props) {{\n",
        parameters.join(", ")
    ));
    let join = |base: &[String], which: &str| {
        let mut parts = vec![literal(&base.join(" "))];
        for (kind, map, prop) in &maps {
            if *kind == which {
                parts.push(format!("{map}[{prop}]"));
            }
        }
        parts
    };
    let mut frame_parts = join(&frame.base, "Classes");
    frame_parts.push("className".into());
    out.push_str(&format!(
        "  const classes = [{}].filter(Boolean).join(' ');\n",
        frame_parts.join(", ")
    ));
    let has_text = spec
        .properties
        .iter()
        .any(|property| matches!(property.kind, PropertyKind::Text { .. }));
    if has_text {
        out.push_str(&format!(
            "  const textClasses = [{}].filter(Boolean).join(' ');\n",
            join(&text.base, "TextClasses").join(", ")
        ));
    }
    let booleans: Vec<String> = spec
        .properties
        .iter()
        .filter(|property| matches!(property.kind, PropertyKind::Boolean { .. }))
        .map(|property| prop_name(&property.name))
        .collect();
    let mut attributes = vec!["className={classes}".to_owned()];
    for property in &spec.properties {
        if let PropertyKind::Variant { .. } = property.kind {
            let prop = prop_name(&property.name);
            attributes.push(format!("data-{}={{{prop}}}", option_value(&prop)));
        }
    }
    for prop in &booleans {
        let attribute: String = option_value(prop);
        if prop == "disabled" {
            attributes.push("aria-disabled={disabled || undefined}".into());
        }
        attributes.push(format!("data-{attribute}={{{prop} || undefined}}"));
    }
    out.push_str("  return (\n");
    out.push_str(&format!("    <div {}>\n", attributes.join(" ")));
    for property in &spec.properties {
        let prop = prop_name(&property.name);
        match property.kind {
            PropertyKind::InstanceSwap { .. } => out.push_str(&format!("      {{{prop}}}\n")),
            PropertyKind::Text { .. } => out.push_str(&format!(
                "      {{{prop} && <span className={{textClasses}}>{{{prop}}}</span>}}\n"
            )),
            _ => {}
        }
    }
    out.push_str("      {children}\n    </div>\n  );\n}\n");
    out
}

fn story(spec: &ComponentSpec, name: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "// Generated by CompanyOS from the Figma component {}: one story per variant option.\n",
        literal(&spec.name)
    ));
    out.push_str("import type { ComponentProps } from 'react';\n");
    out.push_str(&format!("import {{ {name} }} from './{name}';\n\n"));
    out.push_str(&format!(
        "type Args = Partial<ComponentProps<typeof {name}>>;\n\n"
    ));
    let defaults: Vec<String> = spec
        .properties
        .iter()
        .filter_map(|property| {
            let prop = prop_name(&property.name);
            match &property.kind {
                PropertyKind::Variant { default, options } if options.contains(default) => {
                    Some(format!("{prop}: {}", literal(&option_value(default))))
                }
                PropertyKind::Boolean { default } => Some(format!("{prop}: {default}")),
                PropertyKind::Text { default } => Some(format!("{prop}: {}", literal(default))),
                _ => None,
            }
        })
        .collect();
    out.push_str(&format!(
        "const meta = {{\n  title: {},\n  component: {name},\n  args: {{ {} }} satisfies Args,\n}};\n\nexport default meta;\n\n",
        literal(&format!("Design system/{}", spec.name.replace('/', " / "))),
        defaults.join(", ")
    ));
    out.push_str("export const Default = {};\n");
    let mut used: BTreeSet<String> = BTreeSet::from(["Default".to_owned()]);
    for property in &spec.properties {
        let PropertyKind::Variant { options, .. } = &property.kind else {
            continue;
        };
        let prop = prop_name(&property.name);
        for option in options {
            let mut story = format!("{}{}", pascal(&property.name), pascal(option));
            while !used.insert(story.clone()) {
                story.push('_');
            }
            out.push_str(&format!(
                "export const {story} = {{ args: {{ {prop}: {} }} satisfies Args }};\n",
                literal(&option_value(option))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::spec::{AutoLayout, ComponentProperty, Variant};
    use super::*;

    fn look(gap: f64, fill: &str) -> Look {
        Look {
            layout: Some(AutoLayout {
                direction: Direction::Horizontal,
                gap,
                padding: [4.0, 8.0, 4.0, 8.0],
                primary_align: "CENTER".into(),
                counter_align: "CENTER".into(),
                wrap: false,
            }),
            fill: Some(super::super::spec::Colour {
                hex: fill.into(),
                style: None,
            }),
            ..Look::default()
        }
    }

    #[test]
    fn classes_that_change_with_a_property_are_that_propertys() {
        let values = |size: &str, tone: &str| {
            BTreeMap::from([
                ("Size".to_owned(), size.to_owned()),
                ("Tone".to_owned(), tone.to_owned()),
            ])
        };
        let spec = ComponentSpec {
            name: "Button".into(),
            properties: vec![
                ComponentProperty {
                    name: "Size".into(),
                    kind: PropertyKind::Variant {
                        options: vec!["Small".into(), "Large".into()],
                        default: "Small".into(),
                    },
                },
                ComponentProperty {
                    name: "Tone".into(),
                    kind: PropertyKind::Variant {
                        options: vec!["Brand".into(), "Danger".into()],
                        default: "Brand".into(),
                    },
                },
            ],
            look: look(4.0, "#0066ff"),
            variants: vec![
                Variant {
                    values: values("Small", "Brand"),
                    look: look(4.0, "#0066ff"),
                },
                Variant {
                    values: values("Large", "Brand"),
                    look: look(8.0, "#0066ff"),
                },
                Variant {
                    values: values("Small", "Danger"),
                    look: look(4.0, "#ff0000"),
                },
            ],
            ..ComponentSpec::default()
        };
        let split = split(&spec, frame_classes);
        assert_eq!(
            split.base,
            [
                "flex",
                "flex-row",
                "px-[8px]",
                "py-[4px]",
                "justify-center",
                "items-center"
            ]
        );
        assert_eq!(split.by_property["Size"]["Large"], ["gap-[8px]"]);
        assert_eq!(split.by_property["Size"]["Small"], ["gap-[4px]"]);
        assert_eq!(split.by_property["Tone"]["Danger"], ["bg-[#ff0000]"]);
        let files = generate(&spec, "src/components/");
        assert_eq!(files[0].path, "src/components/Button.tsx");
        assert!(
            files[0]
                .contents
                .contains("export type ButtonSize = 'small' | 'large';")
        );
        assert!(
            files[0]
                .contents
                .contains("const sizeClasses: Record<ButtonSize, string>")
        );
        assert!(
            files[1]
                .contents
                .contains("export const ToneDanger = { args: { tone: 'danger' } satisfies Args };")
        );
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(literal("it's \\ fine"), "'it\\'s \\\\ fine'");
        assert_eq!(code_name("1 column"), "Component1Column");
    }
}
