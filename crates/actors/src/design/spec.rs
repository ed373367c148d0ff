//! A Figma component as code needs it: its properties (variants, booleans, texts,
//! instance swaps), its auto-layout, and its colours and type — read from the node JSON
//! of `GET /v1/files/{key}/nodes`. The Figma sync stores it on the component's row
//! (`metadata.spec`); drift checks and code generation read it from there.

use std::collections::BTreeMap;

use companyos_integrations::clients::figma::StyleMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A component (a component set with its variants, or a lone component) as code needs
/// it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ComponentSpec {
    /// The component's name in Figma (`Button`, `Forms/Text field`).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub properties: Vec<ComponentProperty>,
    /// The default variant's look (the lone component's, for one without variants).
    #[serde(default)]
    pub look: Look,
    /// Each variant's values (property name → option) and look.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
}

/// One property of a component, named as Figma shows it (without Figma's `#id`
/// suffix).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentProperty {
    pub name: String,
    #[serde(flatten)]
    pub kind: PropertyKind,
}

/// What values a property takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PropertyKind {
    Variant {
        options: Vec<String>,
        default: String,
    },
    Boolean {
        default: bool,
    },
    Text {
        default: String,
    },
    InstanceSwap {
        default: String,
    },
}

/// One variant of a component set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub values: BTreeMap<String, String>,
    pub look: Look,
}

/// How a component (or one variant) looks: auto-layout, fill, corners, text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Look {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<AutoLayout>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<Colour>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<Colour>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corner_radius: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextLook>,
}

/// Figma's auto-layout of a frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutoLayout {
    pub direction: Direction,
    /// Space between children, in pixels.
    pub gap: f64,
    /// Top, right, bottom, left, in pixels.
    pub padding: [f64; 4],
    /// Along the direction: `MIN`, `CENTER`, `MAX` or `SPACE_BETWEEN`.
    pub primary_align: String,
    /// Across it: `MIN`, `CENTER`, `MAX` or `BASELINE`.
    pub counter_align: String,
    pub wrap: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Horizontal,
    Vertical,
}

/// A solid colour, as `#rrggbb` (or `#rrggbbaa` when not opaque), and the style it
/// comes from, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colour {
    pub hex: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

/// The first text's type and colour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextLook {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_family: Option<String>,
    pub font_size: f64,
    pub font_weight: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_height: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<Colour>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

/// A property name without Figma's `#12:0` suffix (text, boolean and instance-swap
/// properties carry one to stay unique).
pub fn property_name(raw: &str) -> &str {
    match raw.rsplit_once('#') {
        Some((name, id)) if !name.is_empty() && id.contains(':') => name,
        _ => raw,
    }
}

impl ComponentSpec {
    /// Reads a `COMPONENT_SET` or `COMPONENT` node (with its children, two levels
    /// deep is enough), naming styles from `styles`. `None` for another node type.
    pub fn from_node(node: &Value, styles: &BTreeMap<String, StyleMeta>) -> Option<Self> {
        let kind = node.get("type").and_then(Value::as_str)?;
        if !matches!(kind, "COMPONENT_SET" | "COMPONENT") {
            return None;
        }
        let text = |key: &str| node.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut properties: Vec<ComponentProperty> = node
            .get("componentPropertyDefinitions")
            .and_then(Value::as_object)
            .map(|definitions| {
                definitions
                    .iter()
                    .filter_map(|(name, definition)| property(name, definition))
                    .collect()
            })
            .unwrap_or_default();
        // Two properties code would name alike (`Icon#1:0` and `Icon#2:0`, `Label` and
        // `label`) are told apart by a number, so that each is a prop of its own.
        let mut taken = std::collections::BTreeSet::new();
        for property in &mut properties {
            let mut n = 1;
            let base = property.name.clone();
            while !taken.insert(super::drift::prop_name(&property.name)) {
                n += 1;
                property.name = format!("{base} {n}");
            }
        }
        let mut spec = ComponentSpec {
            name: text("name").unwrap_or_default(),
            description: text("description").filter(|text| !text.is_empty()),
            properties,
            look: Look::default(),
            variants: Vec::new(),
        };
        if kind == "COMPONENT" {
            spec.look = look(node, styles);
            return Some(spec);
        }
        for child in children(node) {
            if child.get("type").and_then(Value::as_str) != Some("COMPONENT") {
                continue;
            }
            let values = variant_values(child.get("name").and_then(Value::as_str).unwrap_or(""));
            spec.variants.push(Variant {
                values,
                look: look(child, styles),
            });
        }
        let defaults = spec.default_values();
        spec.look = spec
            .variants
            .iter()
            .find(|variant| variant.values == defaults)
            .or(spec.variants.first())
            .map(|variant| variant.look.clone())
            .unwrap_or_default();
        Some(spec)
    }

    /// Each variant property's default option.
    pub fn default_values(&self) -> BTreeMap<String, String> {
        self.properties
            .iter()
            .filter_map(|property| match &property.kind {
                PropertyKind::Variant { default, .. } => {
                    Some((property.name.clone(), default.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

fn property(raw: &str, definition: &Value) -> Option<ComponentProperty> {
    let name = property_name(raw).to_owned();
    let default = definition.get("defaultValue");
    let default_text = || {
        default
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let kind = match definition.get("type").and_then(Value::as_str)? {
        "VARIANT" => PropertyKind::Variant {
            options: definition
                .get("variantOptions")
                .and_then(Value::as_array)
                .map(|options| {
                    options
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            default: default_text(),
        },
        "BOOLEAN" => PropertyKind::Boolean {
            default: default.and_then(Value::as_bool).unwrap_or(false),
        },
        "TEXT" => PropertyKind::Text {
            default: default_text(),
        },
        "INSTANCE_SWAP" => PropertyKind::InstanceSwap {
            default: default_text(),
        },
        _ => return None,
    };
    Some(ComponentProperty { name, kind })
}

/// `Size=Small, State=Hover` → {Size: Small, State: Hover}.
pub fn variant_values(name: &str) -> BTreeMap<String, String> {
    name.split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

fn children(node: &Value) -> impl Iterator<Item = &Value> {
    node.get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn number(node: &Value, key: &str) -> Option<f64> {
    node.get(key).and_then(Value::as_f64)
}

/// The name of the style `node` takes its `which` (`fill`, `stroke`, `text`) from.
fn style_name(node: &Value, which: &str, styles: &BTreeMap<String, StyleMeta>) -> Option<String> {
    node.get("styles")
        .and_then(|map| map.get(which))
        .and_then(Value::as_str)
        .and_then(|id| styles.get(id))
        .map(|style| style.name.clone())
}

fn look(node: &Value, styles: &BTreeMap<String, StyleMeta>) -> Look {
    let layout = match node.get("layoutMode").and_then(Value::as_str) {
        Some(mode @ ("HORIZONTAL" | "VERTICAL")) => Some(AutoLayout {
            direction: if mode == "HORIZONTAL" {
                Direction::Horizontal
            } else {
                Direction::Vertical
            },
            gap: number(node, "itemSpacing").unwrap_or(0.0),
            padding: [
                number(node, "paddingTop").unwrap_or(0.0),
                number(node, "paddingRight").unwrap_or(0.0),
                number(node, "paddingBottom").unwrap_or(0.0),
                number(node, "paddingLeft").unwrap_or(0.0),
            ],
            primary_align: node
                .get("primaryAxisAlignItems")
                .and_then(Value::as_str)
                .unwrap_or("MIN")
                .to_owned(),
            counter_align: node
                .get("counterAxisAlignItems")
                .and_then(Value::as_str)
                .unwrap_or("MIN")
                .to_owned(),
            wrap: node.get("layoutWrap").and_then(Value::as_str) == Some("WRAP"),
        }),
        _ => None,
    };
    let text = first_text(node).map(|text| {
        let style = text.get("style").cloned().unwrap_or(Value::Null);
        TextLook {
            font_family: style
                .get("fontFamily")
                .and_then(Value::as_str)
                .map(str::to_owned),
            font_size: number(&style, "fontSize").unwrap_or(16.0),
            font_weight: number(&style, "fontWeight").map_or(400, |weight| weight as u32),
            line_height: number(&style, "lineHeightPx"),
            colour: solid(text.get("fills")).map(|hex| Colour {
                hex,
                style: style_name(text, "fill", styles),
            }),
            style: style_name(text, "text", styles),
        }
    });
    Look {
        layout,
        fill: solid(node.get("fills")).map(|hex| Colour {
            hex,
            style: style_name(node, "fill", styles),
        }),
        stroke: solid(node.get("strokes")).map(|hex| Colour {
            hex,
            style: style_name(node, "stroke", styles),
        }),
        corner_radius: number(node, "cornerRadius").filter(|radius| *radius > 0.0),
        text,
    }
}

fn first_text(node: &Value) -> Option<&Value> {
    for child in children(node) {
        if child.get("visible").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        if child.get("type").and_then(Value::as_str) == Some("TEXT") {
            return Some(child);
        }
        if let Some(found) = first_text(child) {
            return Some(found);
        }
    }
    None
}

/// The first visible solid paint, as hex.
fn solid(paints: Option<&Value>) -> Option<String> {
    let paint = paints?.as_array()?.iter().find(|paint| {
        paint.get("type").and_then(Value::as_str) == Some("SOLID")
            && paint.get("visible").and_then(Value::as_bool) != Some(false)
    })?;
    let colour = paint.get("color")?;
    let channel = |key: &str| {
        let value = colour.get(key).and_then(Value::as_f64).unwrap_or(0.0);
        (value.clamp(0.0, 1.0) * 255.0).round() as u8
    };
    let opacity = paint.get("opacity").and_then(Value::as_f64).unwrap_or(1.0)
        * colour.get("a").and_then(Value::as_f64).unwrap_or(1.0);
    let mut hex = format!(
        "#{:02x}{:02x}{:02x}",
        channel("r"),
        channel("g"),
        channel("b")
    );
    if opacity < 1.0 {
        hex.push_str(&format!(
            "{:02x}",
            (opacity.clamp(0.0, 1.0) * 255.0).round() as u8
        ));
    }
    Some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_names_lose_their_ids() {
        assert_eq!(property_name("Label#12:0"), "Label");
        assert_eq!(property_name("Size"), "Size");
        assert_eq!(property_name("C#"), "C#");
    }

    #[test]
    fn a_component_set_reads_its_properties_variants_and_default_look() {
        let node = json!({
            "id": "1:10", "name": "Button", "type": "COMPONENT_SET",
            "componentPropertyDefinitions": {
                "Size": {"type": "VARIANT", "defaultValue": "Medium", "variantOptions": ["Small", "Medium"]},
                "Label#3:0": {"type": "TEXT", "defaultValue": "Continue"},
                "Disabled#4:0": {"type": "BOOLEAN", "defaultValue": false},
            },
            "children": [
                {"id": "1:11", "type": "COMPONENT", "name": "Size=Small", "layoutMode": "HORIZONTAL",
                 "itemSpacing": 4, "paddingTop": 4, "paddingBottom": 4, "paddingLeft": 8, "paddingRight": 8,
                 "fills": [{"type": "SOLID", "color": {"r": 0.0, "g": 0.4, "b": 1.0, "a": 1.0}}]},
                {"id": "1:12", "type": "COMPONENT", "name": "Size=Medium", "layoutMode": "HORIZONTAL",
                 "itemSpacing": 8, "primaryAxisAlignItems": "CENTER", "counterAxisAlignItems": "CENTER",
                 "cornerRadius": 6, "styles": {"fill": "S:1"},
                 "fills": [{"type": "SOLID", "color": {"r": 0.0, "g": 0.4, "b": 1.0, "a": 1.0}}],
                 "children": [{"type": "TEXT", "characters": "Continue",
                   "style": {"fontFamily": "Inter", "fontWeight": 600, "fontSize": 14, "lineHeightPx": 20},
                   "fills": [{"type": "SOLID", "color": {"r": 1.0, "g": 1.0, "b": 1.0, "a": 1.0}}]}]},
            ],
        });
        let styles = BTreeMap::from([(
            "S:1".to_owned(),
            StyleMeta {
                key: "k".into(),
                name: "Brand/Primary".into(),
                style_type: "FILL".into(),
                description: String::new(),
            },
        )]);
        let spec = ComponentSpec::from_node(&node, &styles).expect("a set");
        assert_eq!(spec.properties.len(), 3);
        assert!(
            spec.properties
                .iter()
                .any(|property| property.name == "Label"
                    && property.kind
                        == PropertyKind::Text {
                            default: "Continue".into()
                        })
        );
        assert_eq!(spec.variants.len(), 2);
        let layout = spec.look.layout.as_ref().expect("auto-layout");
        assert_eq!((layout.gap, layout.primary_align.as_str()), (8.0, "CENTER"));
        assert_eq!(
            spec.look.fill,
            Some(Colour {
                hex: "#0066ff".into(),
                style: Some("Brand/Primary".into())
            })
        );
        let text = spec.look.text.as_ref().expect("text");
        assert_eq!((text.font_size, text.font_weight), (14.0, 600));
        assert_eq!(
            text.colour.as_ref().map(|colour| colour.hex.as_str()),
            Some("#ffffff")
        );
        assert!(ComponentSpec::from_node(&json!({"type": "FRAME"}), &styles).is_none());
        let twice = json!({"name": "Card", "type": "COMPONENT", "componentPropertyDefinitions": {
            "Icon#1:0": {"type": "INSTANCE_SWAP", "defaultValue": "1:2"},
            "Icon#2:0": {"type": "INSTANCE_SWAP", "defaultValue": "1:3"},
            "icon": {"type": "BOOLEAN", "defaultValue": true},
        }});
        let card = ComponentSpec::from_node(&twice, &styles).expect("a component");
        let names: Vec<&str> = card.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Icon", "Icon 2", "icon 3"]);
    }
}
