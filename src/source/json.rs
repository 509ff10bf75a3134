//! JSON values: MySQL binary JSON to canonical text, canonical text from MySQL's JSON text, and
//! the partial-update diffs of `PARTIAL_UPDATE_ROWS` events (`binlog_row_value_options=
//! PARTIAL_JSON`) applied to the before image.
//!
//! Canonical form: `serde_json` compact text of the parsed document with object keys sorted
//! (sorted here, so the text does not depend on whether some other crate in the build turned on
//! `serde_json`'s `preserve_order`); numbers as `serde_json` prints them. Both decode paths go through
//! it, so the binlog (binary JSON) and the snapshot (MySQL's JSON text) give the same string.
//! Opaque values inside JSON become what MySQL prints for them: DECIMAL as a number, DATE/TIME/
//! DATETIME as strings with 6 fractional digits for times, other opaque values as
//! `base64:type<N>:<data>` strings.

use mysql_async::binlog::jsonb::{self, JsonContainer, JsonDom, JsonNumber, JsonScalar};
use mysql_async::binlog::jsondiff::{JsonDiff, JsonDiffOperation};
use serde_json::Value as Json;

/// Canonical text of a binary JSON value from a binlog row image.
pub fn from_binary(value: &jsonb::Value<'_>) -> Result<String, String> {
    Ok(canonical_text(to_json(value)?))
}

/// Canonical text of a parsed document: compact, object keys sorted at every level.
pub fn canonical_text(document: Json) -> String {
    sort_keys(document).to_string()
}

fn sort_keys(document: Json) -> Json {
    match document {
        Json::Object(map) => {
            let mut members: Vec<(String, Json)> = map.into_iter().collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// The parsed document of a binary JSON value.
pub fn to_json(value: &jsonb::Value<'_>) -> Result<Json, String> {
    let dom = value
        .clone()
        .parse()
        .map_err(|error| format!("invalid binary JSON: {error}"))?;
    dom_to_json(dom)
}

/// Canonical text of MySQL's JSON text (as a SELECT returns it).
pub fn from_text(text: &str) -> Result<String, String> {
    let json: Json =
        serde_json::from_str(text).map_err(|error| format!("invalid JSON text: {error}"))?;
    Ok(canonical_text(json))
}

fn dom_to_json(dom: JsonDom) -> Result<Json, String> {
    Ok(match dom {
        JsonDom::Container(JsonContainer::Array(items)) => Json::Array(
            items
                .into_iter()
                .map(dom_to_json)
                .collect::<Result<_, _>>()?,
        ),
        JsonDom::Container(JsonContainer::Object(members)) => {
            let mut map = serde_json::Map::new();
            for (key, member) in members {
                map.insert(key, dom_to_json(member)?);
            }
            Json::Object(map)
        }
        JsonDom::Scalar(JsonScalar::Null) => Json::Null,
        JsonDom::Scalar(JsonScalar::Boolean(b)) => Json::Bool(b),
        JsonDom::Scalar(JsonScalar::String(s)) => Json::String(s),
        JsonDom::Scalar(JsonScalar::Number(JsonNumber::Int(i))) => Json::from(i),
        JsonDom::Scalar(JsonScalar::Number(JsonNumber::Uint(u))) => Json::from(u),
        JsonDom::Scalar(JsonScalar::Number(JsonNumber::Double(d))) => {
            serde_json::Number::from_f64(d)
                .map(Json::Number)
                .unwrap_or(Json::Null)
        }
        JsonDom::Scalar(JsonScalar::Number(JsonNumber::Decimal(decimal))) => {
            // Why: MySQL prints a DECIMAL inside JSON as a number; parse its exact text the
            // same way the snapshot path parses MySQL's JSON text.
            let text = decimal.to_string();
            serde_json::from_str::<serde_json::Number>(&text)
                .map(Json::Number)
                .map_err(|error| format!("invalid DECIMAL {text:?} inside JSON: {error}"))?
        }
        JsonDom::Scalar(JsonScalar::DateTime(time)) => Json::String(format!("{time:.6}")),
        JsonDom::Scalar(JsonScalar::Opaque(opaque)) => Json::String(opaque.to_string()),
    })
}

/// One step of a MySQL JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathStep {
    Member(String),
    Index(usize),
}

/// Parses the simple JSON paths MySQL writes into partial-update diffs: `$`, `.key`,
/// `."quoted key"`, `[N]`.
fn parse_path(path: &str) -> Result<Vec<PathStep>, String> {
    let bad = || format!("unsupported JSON path {path:?} in a partial update");
    let rest = path.trim().strip_prefix('$').ok_or_else(bad)?;
    let chars: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                if chars.get(i) == Some(&'"') {
                    i += 1;
                    let mut key = String::new();
                    loop {
                        match chars.get(i) {
                            None => return Err(bad()),
                            Some('"') => break,
                            Some('\\') => {
                                let escaped = chars.get(i + 1).ok_or_else(bad)?;
                                key.push(match escaped {
                                    'n' => '\n',
                                    't' => '\t',
                                    'r' => '\r',
                                    'b' => '\u{8}',
                                    'f' => '\u{c}',
                                    other => *other,
                                });
                                i += 2;
                            }
                            Some(c) => {
                                key.push(*c);
                                i += 1;
                            }
                        }
                    }
                    i += 1;
                    steps.push(PathStep::Member(key));
                } else {
                    let start = i;
                    while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                        i += 1;
                    }
                    if start == i {
                        return Err(bad());
                    }
                    steps.push(PathStep::Member(chars[start..i].iter().collect()));
                }
            }
            '[' => {
                let close = chars[i..].iter().position(|&c| c == ']').ok_or_else(bad)? + i;
                let index: String = chars[i + 1..close].iter().collect();
                steps.push(PathStep::Index(index.trim().parse().map_err(|_| bad())?));
                i = close + 1;
            }
            c if c.is_whitespace() => i += 1,
            _ => return Err(bad()),
        }
    }
    Ok(steps)
}

/// Applies the diffs of one partial JSON update to the before image's document.
pub fn apply_diffs(mut document: Json, diffs: &[JsonDiff<'_>]) -> Result<Json, String> {
    for diff in diffs {
        let path = diff.path_str().into_owned();
        let steps = parse_path(&path)?;
        let new_value = match diff.value() {
            Some(value) => Some(to_json(value)?),
            None => None,
        };
        apply_one(&mut document, &steps, diff.operation(), new_value)
            .map_err(|reason| format!("cannot apply JSON diff at {path:?}: {reason}"))?;
    }
    Ok(document)
}

fn apply_one(
    document: &mut Json,
    steps: &[PathStep],
    operation: JsonDiffOperation,
    value: Option<Json>,
) -> Result<(), String> {
    let Some((last, parents)) = steps.split_last() else {
        // The path is `$`: only a replacement of the whole document makes sense.
        return match (operation, value) {
            (JsonDiffOperation::REPLACE, Some(value)) => {
                *document = value;
                Ok(())
            }
            _ => Err("only REPLACE may target the whole document".into()),
        };
    };
    let mut target = document;
    for step in parents {
        target = match (step, target) {
            (PathStep::Member(key), Json::Object(map)) => map
                .get_mut(key)
                .ok_or_else(|| format!("no member {key:?}"))?,
            (PathStep::Index(index), Json::Array(items)) => items
                .get_mut(*index)
                .ok_or_else(|| format!("no element {index}"))?,
            _ => return Err("the path does not match the document".into()),
        };
    }
    match (operation, last, target) {
        (JsonDiffOperation::REMOVE, PathStep::Member(key), Json::Object(map)) => map
            .remove(key)
            .map(drop)
            .ok_or_else(|| format!("no member {key:?} to remove")),
        (JsonDiffOperation::REMOVE, PathStep::Index(index), Json::Array(items)) => {
            if *index < items.len() {
                items.remove(*index);
                Ok(())
            } else {
                Err(format!("no element {index} to remove"))
            }
        }
        (
            JsonDiffOperation::REPLACE | JsonDiffOperation::INSERT,
            PathStep::Member(key),
            Json::Object(map),
        ) => {
            let value = value.ok_or("the diff has no value")?;
            map.insert(key.clone(), value);
            Ok(())
        }
        (JsonDiffOperation::REPLACE, PathStep::Index(index), Json::Array(items)) => {
            let value = value.ok_or("the diff has no value")?;
            let slot = items
                .get_mut(*index)
                .ok_or_else(|| format!("no element {index}"))?;
            *slot = value;
            Ok(())
        }
        (JsonDiffOperation::INSERT, PathStep::Index(index), Json::Array(items)) => {
            let value = value.ok_or("the diff has no value")?;
            let at = (*index).min(items.len());
            items.insert(at, value);
            Ok(())
        }
        _ => Err("the path does not match the document".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_canonicalised() {
        assert_eq!(
            from_text(r#"{"b": [1, 2.5, "x"], "a": null}"#).unwrap(),
            r#"{"a":null,"b":[1,2.5,"x"]}"#
        );
        assert!(from_text("{").is_err());
    }

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse_path(r#"$.a[2]."k y".z"#).unwrap(),
            vec![
                PathStep::Member("a".into()),
                PathStep::Index(2),
                PathStep::Member("k y".into()),
                PathStep::Member("z".into())
            ]
        );
        assert_eq!(parse_path("$").unwrap(), vec![]);
        assert!(parse_path("a.b").is_err());
        assert!(parse_path("$[x]").is_err());
    }

    #[test]
    fn diff_operations_apply() {
        let mut doc: Json = serde_json::from_str(r#"{"a":[1,2,3],"b":{"c":1}}"#).unwrap();
        let replace = parse_path("$.a[1]").unwrap();
        apply_one(
            &mut doc,
            &replace,
            JsonDiffOperation::REPLACE,
            Some(Json::from(20)),
        )
        .unwrap();
        let insert = parse_path("$.a[0]").unwrap();
        apply_one(
            &mut doc,
            &insert,
            JsonDiffOperation::INSERT,
            Some(Json::from(0)),
        )
        .unwrap();
        let add = parse_path("$.b.d").unwrap();
        apply_one(
            &mut doc,
            &add,
            JsonDiffOperation::INSERT,
            Some(Json::from("x")),
        )
        .unwrap();
        let remove = parse_path("$.b.c").unwrap();
        apply_one(&mut doc, &remove, JsonDiffOperation::REMOVE, None).unwrap();
        assert_eq!(
            canonical_text(doc.clone()),
            r#"{"a":[0,1,20,3],"b":{"d":"x"}}"#
        );
        let missing = parse_path("$.zz.y").unwrap();
        assert!(apply_one(
            &mut doc,
            &missing,
            JsonDiffOperation::REPLACE,
            Some(Json::Null)
        )
        .is_err());
    }
}
