//! Table selection and routing: `db.table` patterns with a `*` wildcard, and source → target
//! renames.
//!
//! Matching is case-sensitive, like MySQL table names on Linux (`lower_case_table_names=0`).
//! A pattern has exactly one `.`; `*` matches any run of characters (also none) within its part,
//! so `shop.*` never matches a table of another database.

use std::collections::BTreeMap;
use std::fmt;

use crate::schema::TableId;

/// A `db.table` pattern; each part may contain `*` wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePattern {
    db: String,
    table: String,
}

impl TablePattern {
    /// Parses `db.table`. The error says what is wrong (for a field-path message).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (db, table) = split_table_name(text)?;
        Ok(TablePattern {
            db: db.to_owned(),
            table: table.to_owned(),
        })
    }

    /// Whether the pattern contains a wildcard.
    pub fn has_wildcard(&self) -> bool {
        self.db.contains('*') || self.table.contains('*')
    }

    /// Whether `table` matches.
    pub fn matches(&self, table: &TableId) -> bool {
        glob_matches(&self.db, &table.db) && glob_matches(&self.table, &table.table)
    }
}

impl fmt::Display for TablePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.db, self.table)
    }
}

/// Parses a literal `db.table` name (no wildcard).
pub fn parse_table_id(text: &str) -> Result<TableId, String> {
    let (db, table) = split_table_name(text)?;
    if db.contains('*') || table.contains('*') {
        return Err(format!(
            "\"{text}\" must name one table: no \"*\" wildcard here"
        ));
    }
    Ok(TableId::new(db, table))
}

fn split_table_name(text: &str) -> Result<(&str, &str), String> {
    let invalid = || format!("pattern must be \"db.table\", got \"{text}\"");
    let (db, table) = text.split_once('.').ok_or_else(invalid)?;
    if db.is_empty() || table.is_empty() || table.contains('.') {
        return Err(invalid());
    }
    if text.chars().any(|c| c.is_whitespace() || c == '`') {
        return Err(format!(
            "\"{text}\" contains whitespace or a backquote; write names unquoted, as \"db.table\""
        ));
    }
    Ok((db, table))
}

/// `*` matches any run of characters; everything else matches itself.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Iterative matcher with single-star backtracking: O(len(pattern) * len(text)) worst case.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Which source tables are replicated: those matching an include pattern and no exclude pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFilter {
    /// `source.tables`.
    pub include: Vec<TablePattern>,
    /// `source.exclude_tables`.
    pub exclude: Vec<TablePattern>,
}

impl TableFilter {
    /// Whether `table` is replicated.
    pub fn matches(&self, table: &TableId) -> bool {
        self.include.iter().any(|p| p.matches(table))
            && !self.exclude.iter().any(|p| p.matches(table))
    }
}

/// Source table → target table. Tables without a route keep their name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    renames: BTreeMap<TableId, TableId>,
}

impl Routes {
    /// Routes from validated `(source, target)` pairs (sources unique).
    pub fn new(renames: BTreeMap<TableId, TableId>) -> Self {
        Routes { renames }
    }

    /// The target table of `source`.
    pub fn target_for(&self, source: &TableId) -> TableId {
        self.renames
            .get(source)
            .cloned()
            .unwrap_or_else(|| source.clone())
    }

    /// The explicit renames, in source order.
    pub fn renames(&self) -> &BTreeMap<TableId, TableId> {
        &self.renames
    }

    /// Checks that no two of the given (replicated) source tables land in the same target table,
    /// which can only be known once the source's table list is known (wildcards). Returns the
    /// first collision as `(source_a, source_b, target)`.
    pub fn find_collision<'a>(
        &self,
        sources: impl IntoIterator<Item = &'a TableId>,
    ) -> Option<(TableId, TableId, TableId)> {
        let mut seen: BTreeMap<TableId, TableId> = BTreeMap::new();
        for source in sources {
            let target = self.target_for(source);
            if let Some(previous) = seen.get(&target) {
                if previous != source {
                    return Some((previous.clone(), source.clone(), target));
                }
            } else {
                seen.insert(target, source.clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> TableId {
        parse_table_id(text).unwrap()
    }

    #[test]
    fn glob_cases() {
        let cases = [
            ("*", "", true),
            ("*", "orders", true),
            ("ord*", "orders", true),
            ("*ers", "orders", true),
            ("o*r*s", "orders", true),
            ("o*x", "orders", false),
            ("orders", "orders", true),
            ("orders", "Orders", false),
            ("a*a*a", "aaaa", true),
            ("a*b", "aab", true),
            ("a*b", "aba", false),
            ("**", "x", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_matches(pattern, text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn patterns_parse_and_match() {
        let pattern = TablePattern::parse("shop.*").unwrap();
        assert!(pattern.matches(&id("shop.orders")));
        assert!(!pattern.matches(&id("shopx.orders")));
        assert!(pattern.has_wildcard());
        for bad in [
            "shop",
            ".orders",
            "shop.",
            "a.b.c",
            "shop. orders",
            "`shop`.x",
        ] {
            assert!(TablePattern::parse(bad).is_err(), "{bad}");
        }
        assert!(parse_table_id("shop.*").is_err());
    }

    #[test]
    fn filter_applies_excludes() {
        let filter = TableFilter {
            include: vec![TablePattern::parse("shop.*").unwrap()],
            exclude: vec![TablePattern::parse("shop.tmp_*").unwrap()],
        };
        assert!(filter.matches(&id("shop.orders")));
        assert!(!filter.matches(&id("shop.tmp_x")));
        assert!(!filter.matches(&id("other.orders")));
    }

    #[test]
    fn routes_default_to_same_name_and_find_collisions() {
        let routes = Routes::new(
            [(id("shop.orders"), id("ods.orders"))]
                .into_iter()
                .collect(),
        );
        assert_eq!(routes.target_for(&id("shop.orders")), id("ods.orders"));
        assert_eq!(routes.target_for(&id("shop.items")), id("shop.items"));
        let tables = [id("shop.orders"), id("ods.orders")];
        assert_eq!(
            routes.find_collision(tables.iter()),
            Some((id("shop.orders"), id("ods.orders"), id("ods.orders")))
        );
        assert_eq!(
            routes.find_collision([id("shop.orders"), id("shop.items")].iter()),
            None
        );
    }
}
