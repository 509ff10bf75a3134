//! Classification of QUERY-event statements: which are DDL, of what kind, on which tables; and
//! which are statement-based row changes (which a ROW-format pipeline must not skip silently).
//!
//! A light tokenizer, not a SQL parser: it skips comments (but reads the inside of MySQL's
//! executable `/*!NNNNN ... */` comments), understands backtick-quoted and `db.table` names, and
//! looks at the leading keywords only. Unqualified table names take the event's default schema.

use crate::change::DdlKind;
use crate::schema::TableId;

/// What a QUERY event's statement is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `BEGIN` / `START TRANSACTION`.
    Begin,
    /// `COMMIT` (transactions on non-transactional tables end with it).
    Commit,
    /// `ROLLBACK`: the group's rows were undone (MySQL writes them when the transaction also
    /// changed a non-transactional table, whose own rows are in a group of their own).
    Rollback,
    /// `SAVEPOINT name`.
    Savepoint { name: String },
    /// `ROLLBACK TO [SAVEPOINT] name`: the rows after the savepoint were undone.
    RollbackTo { name: String },
    /// `XA START xid` (MySQL opens an XA group with it; MariaDB's GTID event stands for it).
    XaStart { xid: String },
    /// `XA END xid`, before the group's XA_PREPARE event.
    XaEnd { xid: String },
    /// `XA COMMIT xid`: the prepared rows of `xid` are committed.
    XaCommit { xid: String },
    /// `XA ROLLBACK xid`: the prepared rows of `xid` are undone.
    XaRollback { xid: String },
    /// DDL on tables (or other objects: then `tables` is empty).
    Ddl { kind: DdlKind, tables: Vec<TableId> },
    /// A statement-based row change (`binlog_format` is not ROW for that session); `table` is
    /// the target when it could be read.
    RowChange { table: Option<TableId> },
    /// Anything else (GRANT, CREATE USER, FLUSH, ANALYZE, SET ...): no effect on replicated rows.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Punct(char),
}

impl Token {
    fn is_word(&self, word: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(word))
    }
}

fn tokenize(statement: &str) -> Vec<Token> {
    let chars: Vec<char> = statement.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('*') {
            if chars.get(i + 2) == Some(&'!') {
                // Executable comment: skip the marker and version, keep the content.
                i += 3;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            } else {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
        } else if c == '*' && next == Some('/') {
            i += 2;
        } else if c == '#' || (c == '-' && next == Some('-')) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '`' || c == '"' || c == '\'' {
            let quote = c;
            let mut text = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == quote && chars.get(i + 1) == Some(&quote) {
                    text.push(quote);
                    i += 2;
                } else if chars[i] == quote {
                    i += 1;
                    break;
                } else if chars[i] == '\\' && quote != '`' && i + 1 < chars.len() {
                    text.push(chars[i + 1]);
                    i += 2;
                } else {
                    text.push(chars[i]);
                    i += 1;
                }
            }
            tokens.push(if quote == '`' {
                Token::Quoted(text)
            } else {
                Token::Punct('\'')
            });
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

struct Cursor<'a> {
    tokens: &'a [Token],
    at: usize,
    default_db: &'a str,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_word(word)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_words(&mut self, words: &[&str]) -> bool {
        let start = self.at;
        for word in words {
            if !self.eat_word(word) {
                self.at = start;
                return false;
            }
        }
        true
    }

    fn identifier(&mut self) -> Option<String> {
        match self.tokens.get(self.at)? {
            Token::Word(w) | Token::Quoted(w) => {
                self.at += 1;
                Some(w.clone())
            }
            Token::Punct(_) => None,
        }
    }

    /// `name` or `db.name`.
    fn table_name(&mut self) -> Option<TableId> {
        let first = self.identifier()?;
        if self.peek() == Some(&Token::Punct('.')) {
            self.at += 1;
            let second = self.identifier()?;
            Some(TableId::new(first, second))
        } else {
            Some(TableId::new(self.default_db, first))
        }
    }

    /// Comma-separated table names.
    fn table_list(&mut self) -> Vec<TableId> {
        let mut tables = Vec::new();
        while let Some(table) = self.table_name() {
            tables.push(table);
            if self.peek() != Some(&Token::Punct(',')) {
                break;
            }
            self.at += 1;
        }
        tables
    }
}

/// Classifies the statement of a QUERY event whose default schema is `default_db`.
pub fn classify(statement: &str, default_db: &str) -> Statement {
    let tokens = tokenize(statement);
    let mut c = Cursor {
        tokens: &tokens,
        at: 0,
        default_db,
    };
    let Some(Token::Word(first)) = c.peek().cloned() else {
        return Statement::Other;
    };
    c.at += 1;
    match first.to_ascii_uppercase().as_str() {
        "BEGIN" => Statement::Begin,
        "START" if c.eat_word("TRANSACTION") => Statement::Begin,
        "COMMIT" => Statement::Commit,
        "ROLLBACK" if c.eat_word("TO") => match savepoint_name(statement) {
            Some(name) => Statement::RollbackTo { name },
            None => Statement::Other,
        },
        "ROLLBACK" => Statement::Rollback,
        "SAVEPOINT" => match savepoint_name(statement) {
            Some(name) => Statement::Savepoint { name },
            None => Statement::Other,
        },
        "XA" => xa_statement(statement),
        "TRUNCATE" => {
            c.eat_word("TABLE");
            Statement::Ddl {
                kind: DdlKind::Truncate,
                tables: c.table_name().into_iter().collect(),
            }
        }
        "CREATE" => {
            c.eat_words(&["OR", "REPLACE"]);
            c.eat_word("TEMPORARY");
            if c.eat_word("TABLE") {
                c.eat_words(&["IF", "NOT", "EXISTS"]);
                Statement::Ddl {
                    kind: DdlKind::CreateTable,
                    tables: c.table_name().into_iter().collect(),
                }
            } else {
                let _ = c.eat_word("UNIQUE") || c.eat_word("FULLTEXT") || c.eat_word("SPATIAL");
                if c.eat_word("INDEX") {
                    Statement::Ddl {
                        kind: DdlKind::Other,
                        tables: index_target(&mut c),
                    }
                } else {
                    Statement::Ddl {
                        kind: DdlKind::Other,
                        tables: Vec::new(),
                    }
                }
            }
        }
        "DROP" => {
            c.eat_word("TEMPORARY");
            if c.eat_word("TABLE") {
                c.eat_words(&["IF", "EXISTS"]);
                Statement::Ddl {
                    kind: DdlKind::DropTable,
                    tables: c.table_list(),
                }
            } else if c.eat_word("INDEX") {
                Statement::Ddl {
                    kind: DdlKind::Other,
                    tables: index_target(&mut c),
                }
            } else if c.eat_word("DATABASE") || c.eat_word("SCHEMA") {
                // Why: it removes every row of its tables without a row event.
                c.eat_words(&["IF", "EXISTS"]);
                Statement::Ddl {
                    kind: DdlKind::DropDatabase,
                    tables: c
                        .identifier()
                        .map(|db| TableId::new(db, ""))
                        .into_iter()
                        .collect(),
                }
            } else {
                Statement::Ddl {
                    kind: DdlKind::Other,
                    tables: Vec::new(),
                }
            }
        }
        "RENAME" if c.eat_word("TABLE") || c.eat_word("TABLES") => {
            let mut tables = Vec::new();
            while let Some(from) = c.table_name() {
                tables.push(from);
                if !c.eat_word("TO") {
                    break;
                }
                let Some(to) = c.table_name() else { break };
                tables.push(to);
                if c.peek() != Some(&Token::Punct(',')) {
                    break;
                }
                c.at += 1;
            }
            Statement::Ddl {
                kind: DdlKind::RenameTable,
                tables,
            }
        }
        "ALTER" => {
            c.eat_word("ONLINE");
            c.eat_word("IGNORE");
            if c.eat_word("TABLE") {
                c.eat_words(&["IF", "EXISTS"]);
                let mut tables: Vec<TableId> = c.table_name().into_iter().collect();
                // ALTER TABLE a RENAME [TO|AS] b also names b.
                while let Some(token) = c.peek().cloned() {
                    c.at += 1;
                    if token.is_word("RENAME")
                        && !c.eat_word("COLUMN")
                        && !c.eat_word("INDEX")
                        && !c.eat_word("KEY")
                    {
                        if !c.eat_word("TO") {
                            c.eat_word("AS");
                        }
                        if let Some(to) = c.table_name() {
                            tables.push(to);
                        }
                    }
                }
                Statement::Ddl {
                    kind: DdlKind::AlterTable,
                    tables,
                }
            } else {
                Statement::Ddl {
                    kind: DdlKind::Other,
                    tables: Vec::new(),
                }
            }
        }
        "INSERT" | "REPLACE" => {
            let _ =
                c.eat_word("LOW_PRIORITY") || c.eat_word("DELAYED") || c.eat_word("HIGH_PRIORITY");
            c.eat_word("IGNORE");
            c.eat_word("INTO");
            Statement::RowChange {
                table: c.table_name(),
            }
        }
        "UPDATE" => {
            c.eat_word("LOW_PRIORITY");
            c.eat_word("IGNORE");
            Statement::RowChange {
                table: c.table_name(),
            }
        }
        "DELETE" => {
            c.eat_word("LOW_PRIORITY");
            c.eat_word("QUICK");
            c.eat_word("IGNORE");
            let table = if c.eat_word("FROM") {
                c.table_name()
            } else {
                None
            };
            Statement::RowChange { table }
        }
        "LOAD" => {
            // LOAD DATA ... INFILE '...' [REPLACE | IGNORE] INTO TABLE name ...
            while let Some(token) = c.peek().cloned() {
                c.at += 1;
                if token.is_word("INTO") && c.eat_word("TABLE") {
                    return Statement::RowChange {
                        table: c.table_name(),
                    };
                }
            }
            Statement::RowChange { table: None }
        }
        _ => Statement::Other,
    }
}

/// `XA START|BEGIN|END|COMMIT|ROLLBACK xid`, with the xid as the server prints it
/// (`X'78',X'',1`, whitespace removed, a trailing `ONE PHASE` dropped).
fn xa_statement(statement: &str) -> Statement {
    let mut words = statement.trim_start().splitn(3, char::is_whitespace);
    let (Some(_xa), Some(verb)) = (words.next(), words.next()) else {
        return Statement::Other;
    };
    let mut xid: String = words
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if xid.to_ascii_uppercase().ends_with("ONEPHASE") {
        xid.truncate(xid.len() - "ONEPHASE".len());
    }
    match verb.to_ascii_uppercase().as_str() {
        "START" | "BEGIN" => Statement::XaStart { xid },
        "END" => Statement::XaEnd { xid },
        "COMMIT" => Statement::XaCommit { xid },
        "ROLLBACK" => Statement::XaRollback { xid },
        _ => Statement::Other,
    }
}

/// The savepoint name that ends `SAVEPOINT name` / `ROLLBACK TO [SAVEPOINT] name`: a plain
/// word, or quoted with backticks (or double quotes under `ANSI_QUOTES`).
fn savepoint_name(statement: &str) -> Option<String> {
    let text = statement.trim().trim_end_matches(';').trim_end();
    let name = match text.chars().last()? {
        quote @ ('`' | '"') => {
            let inner = &text[..text.len() - 1];
            let open = inner.rfind(quote)?;
            inner[open + 1..].to_string()
        }
        _ => text.rsplit(char::is_whitespace).next()?.to_string(),
    };
    (!name.is_empty()).then_some(name)
}

/// Whether a `CREATE TABLE … SELECT` was written as the start of a transaction whose rows
/// follow in the same group (MySQL 8.0.21+ ends its text with `START TRANSACTION`).
pub fn opens_transaction(statement: &str) -> bool {
    let words: Vec<&str> = statement.split_whitespace().rev().take(2).collect();
    matches!(words.as_slice(), [last, before]
        if last.eq_ignore_ascii_case("TRANSACTION") && before.eq_ignore_ascii_case("START"))
}

/// The table of `CREATE/DROP INDEX name ON table`.
fn index_target(c: &mut Cursor<'_>) -> Vec<TableId> {
    c.identifier();
    if c.eat_word("ON") {
        c.table_name().into_iter().collect()
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(db: &str, table: &str) -> TableId {
        TableId::new(db, table)
    }

    #[test]
    fn transaction_control() {
        assert_eq!(classify("BEGIN", "d"), Statement::Begin);
        assert_eq!(classify("COMMIT", "d"), Statement::Commit);
        assert_eq!(classify("ROLLBACK", "d"), Statement::Rollback);
        assert_eq!(
            classify("ROLLBACK TO SAVEPOINT s", "d"),
            Statement::RollbackTo { name: "s".into() }
        );
        assert_eq!(
            classify("ROLLBACK TO `my sp`", "d"),
            Statement::RollbackTo {
                name: "my sp".into()
            }
        );
        assert_eq!(
            classify("SAVEPOINT \"s\"", "d"),
            Statement::Savepoint { name: "s".into() }
        );
        assert_eq!(
            classify("XA START X'78',X'',1", "d"),
            Statement::XaStart {
                xid: "X'78',X'',1".into()
            }
        );
        assert_eq!(
            classify("XA END X'78',X'',1", "d"),
            Statement::XaEnd {
                xid: "X'78',X'',1".into()
            }
        );
        assert_eq!(
            classify("XA COMMIT X'0102', X'ff', 7", "d"),
            Statement::XaCommit {
                xid: "X'0102',X'ff',7".into()
            }
        );
        assert_eq!(
            classify("xa rollback X'78',X'',1", "d"),
            Statement::XaRollback {
                xid: "X'78',X'',1".into()
            }
        );
        assert_eq!(
            classify("XA COMMIT X'78',X'',1 ONE PHASE", "d"),
            Statement::XaCommit {
                xid: "X'78',X'',1".into()
            }
        );
        assert!(opens_transaction(
            "CREATE TABLE `t2` (`a` int) START TRANSACTION"
        ));
        assert!(!opens_transaction("CREATE TABLE t2 (a int)"));
    }

    #[test]
    fn ddl_kinds_and_tables() {
        assert_eq!(
            classify("/* x */ TRUNCATE TABLE `shop`.`orders`", "d"),
            Statement::Ddl {
                kind: DdlKind::Truncate,
                tables: vec![t("shop", "orders")]
            }
        );
        assert_eq!(
            classify("truncate orders", "shop"),
            Statement::Ddl {
                kind: DdlKind::Truncate,
                tables: vec![t("shop", "orders")]
            }
        );
        assert_eq!(
            classify("CREATE TABLE IF NOT EXISTS t1 (a int)", "d"),
            Statement::Ddl {
                kind: DdlKind::CreateTable,
                tables: vec![t("d", "t1")]
            }
        );
        assert_eq!(
            classify("DROP TABLE `a`,`b``c` /* generated by server */", "d"),
            Statement::Ddl {
                kind: DdlKind::DropTable,
                tables: vec![t("d", "a"), t("d", "b`c")]
            }
        );
        assert_eq!(
            classify("RENAME TABLE a TO x.b, c TO d2", "d"),
            Statement::Ddl {
                kind: DdlKind::RenameTable,
                tables: vec![t("d", "a"), t("x", "b"), t("d", "c"), t("d", "d2")]
            }
        );
        assert_eq!(
            classify("ALTER TABLE t ADD COLUMN c INT, RENAME COLUMN a TO b", "d"),
            Statement::Ddl {
                kind: DdlKind::AlterTable,
                tables: vec![t("d", "t")]
            }
        );
        assert_eq!(
            classify("ALTER TABLE t RENAME TO u", "d"),
            Statement::Ddl {
                kind: DdlKind::AlterTable,
                tables: vec![t("d", "t"), t("d", "u")]
            }
        );
        assert_eq!(
            classify("CREATE UNIQUE INDEX i ON s.t (a)", "d"),
            Statement::Ddl {
                kind: DdlKind::Other,
                tables: vec![t("s", "t")]
            }
        );
        assert_eq!(
            classify("/*!40000 ALTER TABLE `t` DISABLE KEYS */", "d"),
            Statement::Ddl {
                kind: DdlKind::AlterTable,
                tables: vec![t("d", "t")]
            }
        );
        assert_eq!(
            classify("DROP DATABASE x", "d"),
            Statement::Ddl {
                kind: DdlKind::DropDatabase,
                tables: vec![t("x", "")]
            }
        );
        assert_eq!(
            classify("drop schema if exists `my db`", "d"),
            Statement::Ddl {
                kind: DdlKind::DropDatabase,
                tables: vec![t("my db", "")]
            }
        );
        assert_eq!(
            classify("ALTER TABLE t TRUNCATE PARTITION p0", "d"),
            Statement::Ddl {
                kind: DdlKind::AlterTable,
                tables: vec![t("d", "t")]
            }
        );
    }

    #[test]
    fn statement_based_row_changes() {
        assert_eq!(
            classify("insert into t1 values (1)", "d"),
            Statement::RowChange {
                table: Some(t("d", "t1"))
            }
        );
        assert_eq!(
            classify("DELETE FROM s.t WHERE 1", "d"),
            Statement::RowChange {
                table: Some(t("s", "t"))
            }
        );
        assert_eq!(
            classify(
                "LOAD DATA INFILE '/tmp/x' IGNORE INTO TABLE `t` FIELDS TERMINATED BY ','",
                "d"
            ),
            Statement::RowChange {
                table: Some(t("d", "t"))
            }
        );
        assert_eq!(classify("GRANT ALL ON *.* TO x", "d"), Statement::Other);
    }
}
