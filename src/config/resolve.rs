//! The I/O stage between parsing and validation: `${ENV}` expansion in every string value, and
//! `password_file` reading.
//!
//! Expansion works on the whole parsed tree (via `serde_json::Value`), so every string value of
//! every key, present or future, is expanded, and an error names the field path. `$${` writes a
//! literal `${`. An unset variable is an error, never an empty string. Map keys are not expanded.

use std::path::Path;

use serde_json::Value as Json;

use super::error::FieldProblem;
use super::raw::RawConfig;

/// Looks up environment variables (`std::env::var` in production, a map in tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Expands `${VAR}` in every string value, then replaces each `password_file` by the file's
/// content (one trailing newline removed). Relative files are relative to `base_dir`.
pub(super) fn resolve(
    raw: RawConfig,
    base_dir: &Path,
    env: EnvLookup<'_>,
) -> Result<RawConfig, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut tree = serde_json::to_value(&raw).map_err(|error| {
        vec![FieldProblem::new(
            "(file)",
            format!("internal: cannot re-encode the file: {error}"),
        )]
    })?;
    expand_tree(&mut tree, &mut String::new(), env, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut raw: RawConfig = serde_json::from_value(tree).map_err(|error| {
        vec![FieldProblem::new(
            "(file)",
            format!("internal: cannot re-read the file: {error}"),
        )]
    })?;

    if let Some(password) = read_password(
        "source",
        raw.source.password.as_deref(),
        raw.source.password_file.as_deref(),
        base_dir,
        &mut problems,
    ) {
        raw.source.password = Some(password);
        raw.source.password_file = None;
    }
    if let Some(password) = read_password(
        "target",
        raw.target.password.as_deref(),
        raw.target.password_file.as_deref(),
        base_dir,
        &mut problems,
    ) {
        raw.target.password = Some(password);
        raw.target.password_file = None;
    }
    if problems.is_empty() {
        Ok(raw)
    } else {
        Err(problems)
    }
}

fn read_password(
    section: &str,
    password: Option<&str>,
    password_file: Option<&Path>,
    base_dir: &Path,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    let file = password_file?;
    if password.is_some() {
        problems.push(
            FieldProblem::new(
                format!("{section}.password_file"),
                "password and password_file are both set",
            )
            .with_hint("keep one of them"),
        );
        return None;
    }
    let path = base_dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(mut text) => {
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            Some(text)
        }
        Err(error) => {
            problems.push(FieldProblem::new(
                format!("{section}.password_file"),
                format!("cannot read {}: {error}", path.display()),
            ));
            None
        }
    }
}

fn expand_tree(
    node: &mut Json,
    path: &mut String,
    env: EnvLookup<'_>,
    problems: &mut Vec<FieldProblem>,
) {
    match node {
        Json::String(text) => match expand_string(text, env) {
            Ok(Some(expanded)) => *text = expanded,
            Ok(None) => {}
            Err(problem) => problems.push(FieldProblem::new(path.clone(), problem)),
        },
        Json::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                expand_tree(item, path, env, problems);
                path.truncate(len);
            }
        }
        Json::Object(entries) => {
            for (key, value) in entries.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                if key.contains('.') || key.is_empty() {
                    path.push_str(&format!("\"{key}\""));
                } else {
                    path.push_str(key);
                }
                expand_tree(value, path, env, problems);
                path.truncate(len);
            }
        }
        Json::Null | Json::Bool(_) | Json::Number(_) => {}
    }
}

/// Expands `${NAME}` in `text`; `Ok(None)` when there is nothing to expand.
fn expand_string(text: &str, env: EnvLookup<'_>) -> Result<Option<String>, String> {
    if !text.contains("${") {
        return Ok(None);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let end = tail
                .find('}')
                .ok_or_else(|| "unclosed \"${\" (write \"$${\" for a literal \"${\")".to_owned())?;
            let name = &tail[..end];
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!(
                    "\"${{{name}}}\" is not a valid environment variable reference"
                ));
            }
            let value =
                env(name).ok_or_else(|| format!("environment variable {name} is not set"))?;
            out.push_str(&value);
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "PW" => Some("s3cret".to_owned()),
            "HOST" => Some("db1".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn expands_and_escapes() {
        let cases = [
            ("plain", None),
            ("${PW}", Some("s3cret")),
            ("a-${HOST}-${PW}-b", Some("a-db1-s3cret-b")),
            ("$${PW}", Some("${PW}")),
            ("cost $5 ${HOST}", Some("cost $5 db1")),
        ];
        for (input, expected) in cases {
            assert_eq!(
                expand_string(input, &env).unwrap().as_deref(),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_unset_and_malformed_references() {
        assert_eq!(
            expand_string("${NOPE}", &env).unwrap_err(),
            "environment variable NOPE is not set"
        );
        assert!(expand_string("${PW", &env).is_err());
        assert!(expand_string("${1X}", &env).is_err());
        assert!(expand_string("${}", &env).is_err());
    }
}
