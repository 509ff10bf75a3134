//! Splitting a JSON Stream Load body into row objects.
//!
//! The body is a sequence of JSON documents separated by whitespace (one object per line works).
//! With `strip_outer_array: true` each document must be an array whose elements are the rows;
//! without it each document must be an object. A document that breaks these rules, or text that
//! is not JSON, becomes one bad row (filtered, with StarRocks' wording) and parsing stops at
//! invalid JSON.

/// One parsed row, or a document that could not be a row.
#[derive(Debug, Clone)]
pub enum JsonRow {
    Object(serde_json::Map<String, serde_json::Value>),
    Bad { raw: String, error: String },
}

/// Splits `body` into rows.
pub fn parse(body: &[u8], strip_outer_array: bool) -> Vec<JsonRow> {
    let mut rows = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<serde_json::Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Err(error)) => {
                let raw = String::from_utf8_lossy(&body[offset.min(body.len())..]);
                rows.push(JsonRow::Bad {
                    raw: truncate(raw.trim()),
                    error: format!("parse json failed: {error}"),
                });
                break;
            }
            Some(Ok(serde_json::Value::Array(items))) if strip_outer_array => {
                for item in items {
                    rows.push(object_row(item));
                }
            }
            Some(Ok(value @ serde_json::Value::Array(_))) => rows.push(JsonRow::Bad {
                raw: truncate(&value.to_string()),
                error: "JSON data is an array, strip_outer_array must be set true".to_string(),
            }),
            Some(Ok(value)) if strip_outer_array => rows.push(JsonRow::Bad {
                raw: truncate(&value.to_string()),
                error: "JSON data is not an array-object, strip_outer_array must be set false"
                    .to_string(),
            }),
            Some(Ok(value)) => rows.push(object_row(value)),
        }
    }
    rows
}

fn object_row(value: serde_json::Value) -> JsonRow {
    match value {
        serde_json::Value::Object(map) => JsonRow::Object(map),
        other => JsonRow::Bad {
            raw: truncate(&other.to_string()),
            error: "JSON value is not an object".to_string(),
        },
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(1000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_arrays_and_errors() {
        let rows = parse(b"{\"a\":1}\n{\"a\":2}\n", false);
        assert_eq!(rows.len(), 2);
        assert!(matches!(rows[0], JsonRow::Object(_)));
        let rows = parse(b"[{\"a\":1},{\"a\":2}]", true);
        assert_eq!(rows.len(), 2);
        let rows = parse(b"[{\"a\":1}]", false);
        assert!(matches!(rows[0], JsonRow::Bad { .. }));
        let rows = parse(b"{\"a\":1} {bad", false);
        assert_eq!(rows.len(), 2);
        assert!(matches!(rows[1], JsonRow::Bad { .. }));
    }
}
