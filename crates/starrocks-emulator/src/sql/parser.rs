//! Recursive-descent parser: tokens → [`Statement`].
//!
//! Keywords are case-insensitive; identifiers may be bare or back-quoted; an optional trailing
//! `;` is allowed. A statement the emulator does not implement is an error naming it. The parser
//! never panics: every unexpected token becomes a StarRocks-style syntax error.

use super::ast::{
    AlterOperation, ColumnDef, ColumnPosition, CompareOp, CreateTable, Distribution, Expr, Literal,
    OrderKey, Select, SelectItem, Statement, TableName,
};
use super::error::{code, SqlError};
use super::lexer::{line_column, tokenize, Spanned, Token};
use crate::catalog::KeysModel;

/// Deepest expression nesting accepted (guards the recursion against hostile input).
const MAX_EXPR_DEPTH: usize = 64;

/// Parses one statement (an optional trailing `;` is allowed).
pub(crate) fn parse_statement(sql: &str) -> Result<Statement, SqlError> {
    let tokens = tokenize(sql)?;
    if tokens.iter().all(|t| t.token == Token::Symbol(";")) {
        return Err(SqlError::new(code::EMPTY_QUERY, "Query was empty"));
    }
    let mut parser = Parser {
        sql,
        tokens,
        pos: 0,
        depth: 0,
    };
    let statement = parser.statement()?;
    while parser.eat_symbol(";") {}
    if parser.pos < parser.tokens.len() {
        return Err(parser.unexpected());
    }
    Ok(statement)
}

/// Parses a column type such as `DECIMAL(10, 2)` into its name and numeric parameters.
pub(crate) fn parse_type_parts(s: &str) -> Result<(String, Vec<u64>), SqlError> {
    let tokens = tokenize(s)?;
    let mut parser = Parser {
        sql: s,
        tokens,
        pos: 0,
        depth: 0,
    };
    let parts = parser.column_type()?;
    if parser.pos < parser.tokens.len() {
        return Err(parser.unexpected());
    }
    Ok(parts)
}

struct Parser<'a> {
    sql: &'a str,
    tokens: Vec<Spanned>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    // ---- token helpers ----

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|t| &t.token)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead).map(|t| &t.token)
    }

    fn advance(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).map(|t| t.token.clone());
        if token.is_some() {
            self.pos += 1;
        }
        token
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn is_keyword_at(&self, ahead: usize, keyword: &str) -> bool {
        matches!(self.peek_at(ahead), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        if self.is_keyword(keyword) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_keywords(&mut self, keywords: &[&str]) -> bool {
        if keywords
            .iter()
            .enumerate()
            .all(|(i, k)| self.is_keyword_at(i, k))
        {
            self.pos += keywords.len();
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), SqlError> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else {
            Err(self.expected(keyword))
        }
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), SqlError> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(self.expected(&format!("'{symbol}'")))
        }
    }

    fn offset(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.sql.len(), |t| t.offset)
    }

    fn describe_current(&self) -> String {
        match self.peek() {
            None => "<EOF>".to_string(),
            Some(Token::Word(w)) => w.clone(),
            Some(Token::Quoted(q)) => format!("`{q}`"),
            Some(Token::Str(s)) => format!("'{s}'"),
            Some(Token::Number(n)) => n.clone(),
            Some(Token::Symbol(s)) => (*s).to_string(),
        }
    }

    fn unexpected(&self) -> SqlError {
        let (line, column) = line_column(self.sql, self.offset());
        SqlError::syntax(
            line,
            column,
            format!("Unexpected input '{}'", self.describe_current()),
        )
    }

    fn expected(&self, what: &str) -> SqlError {
        let (line, column) = line_column(self.sql, self.offset());
        SqlError::syntax(
            line,
            column,
            format!(
                "Unexpected input '{}', the most similar input is {{{what}}}",
                self.describe_current()
            ),
        )
    }

    fn unsupported(&self, what: &str) -> SqlError {
        SqlError::new(
            code::PARSE,
            format!("The StarRocks emulator does not support {what}"),
        )
    }

    // ---- names and literals ----

    fn identifier(&mut self) -> Result<String, SqlError> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            Some(Token::Quoted(q)) => {
                let q = q.clone();
                self.pos += 1;
                Ok(q)
            }
            _ => Err(self.expected("identifier")),
        }
    }

    fn table_name(&mut self) -> Result<TableName, SqlError> {
        let first = self.identifier()?;
        if self.eat_symbol(".") {
            let second = self.identifier()?;
            // `catalog.db.table`: only the default catalog exists.
            if self.eat_symbol(".") {
                let third = self.identifier()?;
                if !first.eq_ignore_ascii_case("default_catalog") {
                    return Err(SqlError::analysis(format!("Unknown catalog '{first}'")));
                }
                return Ok(TableName {
                    database: Some(second),
                    table: third,
                });
            }
            Ok(TableName {
                database: Some(first),
                table: second,
            })
        } else {
            Ok(TableName {
                database: None,
                table: first,
            })
        }
    }

    fn string_literal(&mut self) -> Result<String, SqlError> {
        match self.advance() {
            Some(Token::Str(s)) => Ok(s),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.expected("string"))
            }
        }
    }

    fn unsigned(&mut self) -> Result<u64, SqlError> {
        match self.peek() {
            Some(Token::Number(n)) => {
                let value = n.parse::<u64>().map_err(|_| self.unexpected())?;
                self.pos += 1;
                Ok(value)
            }
            _ => Err(self.expected("INTEGER_VALUE")),
        }
    }

    fn identifier_list(&mut self) -> Result<Vec<String>, SqlError> {
        self.expect_symbol("(")?;
        let mut names = vec![self.identifier()?];
        while self.eat_symbol(",") {
            names.push(self.identifier()?);
        }
        self.expect_symbol(")")?;
        Ok(names)
    }

    // ---- statements ----

    fn statement(&mut self) -> Result<Statement, SqlError> {
        let Some(Token::Word(first)) = self.peek().cloned() else {
            if self.eat_symbol("(") {
                return Err(self.unsupported("parenthesized queries"));
            }
            return Err(self.unexpected());
        };
        match first.to_ascii_uppercase().as_str() {
            "CREATE" => {
                self.pos += 1;
                self.create()
            }
            "DROP" => {
                self.pos += 1;
                self.drop()
            }
            "TRUNCATE" => {
                self.pos += 1;
                self.eat_keyword("TABLE");
                let name = self.table_name()?;
                if self.is_keyword("PARTITION") {
                    return Err(self.unsupported("TRUNCATE TABLE ... PARTITION"));
                }
                Ok(Statement::TruncateTable { name })
            }
            "ALTER" => {
                self.pos += 1;
                self.alter()
            }
            "SHOW" => {
                self.pos += 1;
                self.show()
            }
            "USE" => {
                self.pos += 1;
                let name = self.identifier()?;
                // `USE catalog.db`
                let database = if self.eat_symbol(".") {
                    if !name.eq_ignore_ascii_case("default_catalog") {
                        return Err(SqlError::analysis(format!("Unknown catalog '{name}'")));
                    }
                    self.identifier()?
                } else {
                    name
                };
                Ok(Statement::Use { database })
            }
            "SET" => {
                // Session settings are accepted and ignored; skip the rest of the statement.
                self.pos = self.tokens.len();
                Ok(Statement::Set)
            }
            "BEGIN" | "COMMIT" | "ROLLBACK" | "START" => {
                self.pos = self.tokens.len();
                Ok(Statement::Transaction)
            }
            "SELECT" => {
                self.pos += 1;
                Ok(Statement::Select(Box::new(self.select()?)))
            }
            "DESC" | "DESCRIBE" | "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "EXPLAIN"
            | "GRANT" | "REVOKE" | "KILL" | "LOAD" | "ANALYZE" | "REFRESH" | "CANCEL" | "ADMIN"
            | "WITH" | "RECOVER" | "EXPORT" | "INSTALL" | "SUBMIT" | "CALL" => {
                Err(self.unsupported(&format!("the {} statement", first.to_ascii_uppercase())))
            }
            _ => Err(self.unexpected()),
        }
    }

    fn create(&mut self) -> Result<Statement, SqlError> {
        if self.eat_keyword("DATABASE") || self.eat_keyword("SCHEMA") {
            let if_not_exists = self.eat_keywords(&["IF", "NOT", "EXISTS"]);
            let name = self.identifier()?;
            // Database properties are accepted and ignored.
            if self.eat_keyword("PROPERTIES") {
                self.properties_body()?;
            }
            return Ok(Statement::CreateDatabase {
                name,
                if_not_exists,
            });
        }
        if self.eat_keyword("TABLE") {
            return Ok(Statement::CreateTable(Box::new(self.create_table()?)));
        }
        for other in [
            "EXTERNAL",
            "TEMPORARY",
            "VIEW",
            "MATERIALIZED",
            "INDEX",
            "USER",
            "ROLE",
            "FUNCTION",
            "CATALOG",
            "RESOURCE",
            "REPOSITORY",
            "ROUTINE",
            "PIPE",
        ] {
            if self.is_keyword(other) {
                return Err(self.unsupported(&format!("CREATE {other}")));
            }
        }
        Err(self.unexpected())
    }

    fn create_table(&mut self) -> Result<CreateTable, SqlError> {
        let if_not_exists = self.eat_keywords(&["IF", "NOT", "EXISTS"]);
        let name = self.table_name()?;
        if self.is_keyword("LIKE") || self.is_keyword("AS") {
            return Err(self.unsupported("CREATE TABLE ... LIKE / AS SELECT"));
        }
        self.expect_symbol("(")?;
        let mut columns = Vec::new();
        loop {
            if self.is_keyword("INDEX") {
                return Err(self.unsupported("index definitions"));
            }
            columns.push(self.column_def()?);
            if self.eat_symbol(",") {
                continue;
            }
            self.expect_symbol(")")?;
            break;
        }
        let mut table = CreateTable {
            name,
            if_not_exists,
            columns,
            engine: None,
            keys: None,
            comment: None,
            distribution: None,
            order_by: None,
            properties: Vec::new(),
        };
        if self.eat_keyword("ENGINE") {
            self.expect_symbol("=")?;
            table.engine = Some(self.identifier()?);
        }
        let model = if self.eat_keyword("PRIMARY") {
            Some(KeysModel::PrimaryKeys)
        } else if self.eat_keyword("DUPLICATE") {
            Some(KeysModel::DuplicateKeys)
        } else if self.eat_keyword("UNIQUE") {
            Some(KeysModel::UniqueKeys)
        } else if self.eat_keyword("AGGREGATE") {
            Some(KeysModel::AggregateKeys)
        } else {
            None
        };
        if let Some(model) = model {
            self.expect_keyword("KEY")?;
            table.keys = Some((model, self.identifier_list()?));
        }
        if self.eat_keyword("COMMENT") {
            table.comment = Some(self.string_literal()?);
        }
        if self.is_keyword("PARTITION") {
            return Err(self.unsupported("PARTITION BY (create the table without partitions)"));
        }
        if self.eat_keyword("DISTRIBUTED") {
            self.expect_keyword("BY")?;
            let distribution = if self.eat_keyword("HASH") {
                let columns = self.identifier_list()?;
                Distribution::Hash {
                    columns,
                    buckets: self.buckets()?,
                }
            } else if self.eat_keyword("RANDOM") {
                Distribution::Random {
                    buckets: self.buckets()?,
                }
            } else {
                return Err(self.expected("HASH, RANDOM"));
            };
            table.distribution = Some(distribution);
        }
        if self.is_keyword("ROLLUP") {
            return Err(self.unsupported("ROLLUP"));
        }
        if self.eat_keyword("ORDER") {
            self.expect_keyword("BY")?;
            table.order_by = Some(self.identifier_list()?);
        }
        if self.eat_keyword("PROPERTIES") {
            table.properties = self.properties_body()?;
        }
        Ok(table)
    }

    fn buckets(&mut self) -> Result<Option<u32>, SqlError> {
        if !self.eat_keyword("BUCKETS") {
            return Ok(None);
        }
        if self.eat_keyword("AUTO") {
            return Ok(None);
        }
        let n = self.unsigned()?;
        if n == 0 {
            return Err(SqlError::analysis(
                "Number of hash distribution should be greater than zero",
            ));
        }
        u32::try_from(n)
            .map(Some)
            .map_err(|_| SqlError::analysis(format!("Invalid number of buckets: {n}")))
    }

    /// `( "k" = "v", ... )` after `PROPERTIES`.
    fn properties_body(&mut self) -> Result<Vec<(String, String)>, SqlError> {
        self.expect_symbol("(")?;
        let mut properties = Vec::new();
        if self.eat_symbol(")") {
            return Ok(properties);
        }
        loop {
            let key = self.string_literal()?;
            self.expect_symbol("=")?;
            let value = self.string_literal()?;
            properties.push((key, value));
            if self.eat_symbol(",") {
                continue;
            }
            self.expect_symbol(")")?;
            return Ok(properties);
        }
    }

    /// A column type: name and numeric parameters, e.g. `DECIMAL(10, 2)`.
    fn column_type(&mut self) -> Result<(String, Vec<u64>), SqlError> {
        let name = match self.peek() {
            Some(Token::Word(w)) => w.clone(),
            _ => return Err(self.expected("type")),
        };
        self.pos += 1;
        // `SIGNED INT`, `UNSIGNED ...` and `DOUBLE PRECISION` are not StarRocks; `CHARACTER
        // VARYING` neither. Keep it simple: one word plus optional parameters.
        let mut params = Vec::new();
        if self.eat_symbol("(") {
            loop {
                params.push(self.unsigned()?);
                if self.eat_symbol(",") {
                    continue;
                }
                self.expect_symbol(")")?;
                break;
            }
        }
        if self.is_keyword("ARRAY") || self.eat_symbol("<") {
            return Err(self.unsupported("complex types"));
        }
        Ok((name, params))
    }

    fn column_def(&mut self) -> Result<ColumnDef, SqlError> {
        let name = self.identifier()?;
        let (type_name, type_params) = self.column_type()?;
        let mut column = ColumnDef {
            name,
            type_name,
            type_params,
            nullable: None,
            aggregate: None,
            default: None,
            comment: None,
        };
        // Attributes may come in the grammar's order: [agg] [NULL|NOT NULL] [DEFAULT] [COMMENT];
        // accept any order, once each.
        loop {
            if self.eat_keywords(&["NOT", "NULL"]) {
                column.nullable = Some(false);
            } else if self.eat_keyword("NULL") {
                column.nullable = Some(true);
            } else if self.eat_keyword("DEFAULT") {
                column.default = Some(self.default_value()?);
            } else if self.eat_keyword("COMMENT") {
                column.comment = Some(self.string_literal()?);
            } else if self.eat_keyword("AUTO_INCREMENT") {
                return Err(self.unsupported("AUTO_INCREMENT columns"));
            } else if self.is_keyword("AS") {
                return Err(self.unsupported("generated columns"));
            } else if let Some(agg) = [
                "SUM",
                "MIN",
                "MAX",
                "REPLACE",
                "REPLACE_IF_NOT_NULL",
                "HLL_UNION",
                "BITMAP_UNION",
                "PERCENTILE_UNION",
            ]
            .iter()
            .find(|a| self.is_keyword(a))
            {
                self.pos += 1;
                column.aggregate = Some((*agg).to_string());
            } else {
                return Ok(column);
            }
        }
    }

    fn default_value(&mut self) -> Result<Option<String>, SqlError> {
        match self.advance() {
            Some(Token::Str(s)) => Ok(Some(s)),
            Some(Token::Number(n)) => Ok(Some(n)),
            Some(Token::Symbol("-")) => match self.advance() {
                Some(Token::Number(n)) => Ok(Some(format!("-{n}"))),
                _ => {
                    self.pos = self.pos.saturating_sub(1);
                    Err(self.expected("number"))
                }
            },
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("NULL") => Ok(None),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
                if self.eat_symbol("(") {
                    self.expect_symbol(")")?;
                }
                Ok(Some("CURRENT_TIMESTAMP".to_string()))
            }
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.expected("default value"))
            }
        }
    }

    fn drop(&mut self) -> Result<Statement, SqlError> {
        if self.eat_keyword("DATABASE") || self.eat_keyword("SCHEMA") {
            let if_exists = self.eat_keywords(&["IF", "EXISTS"]);
            let name = self.identifier()?;
            self.eat_keyword("FORCE");
            return Ok(Statement::DropDatabase { name, if_exists });
        }
        if self.eat_keyword("TABLE") {
            let if_exists = self.eat_keywords(&["IF", "EXISTS"]);
            let name = self.table_name()?;
            self.eat_keyword("FORCE");
            return Ok(Statement::DropTable { name, if_exists });
        }
        if let Some(Token::Word(w)) = self.peek() {
            let what = w.to_ascii_uppercase();
            return Err(self.unsupported(&format!("DROP {what}")));
        }
        Err(self.unexpected())
    }

    fn alter(&mut self) -> Result<Statement, SqlError> {
        if !self.eat_keyword("TABLE") {
            if let Some(Token::Word(w)) = self.peek() {
                let what = w.to_ascii_uppercase();
                return Err(self.unsupported(&format!("ALTER {what}")));
            }
            return Err(self.expected("TABLE"));
        }
        let name = self.table_name()?;
        let operation = if self.eat_keyword("ADD") {
            if !self.eat_keyword("COLUMN") {
                return Err(self.unsupported("ALTER TABLE ADD other than ADD COLUMN"));
            }
            if self.is_symbol("(") {
                return Err(self.unsupported("ADD COLUMN with a column list"));
            }
            let column = self.column_def()?;
            let position = if self.eat_keyword("FIRST") {
                Some(ColumnPosition::First)
            } else if self.eat_keyword("AFTER") {
                Some(ColumnPosition::After(self.identifier()?))
            } else {
                None
            };
            if self.is_keyword("TO") || self.is_keyword("IN") {
                return Err(self.unsupported("ADD COLUMN ... TO rollup"));
            }
            AlterOperation::AddColumn { column, position }
        } else if self.eat_keyword("DROP") {
            if !self.eat_keyword("COLUMN") {
                return Err(self.unsupported("ALTER TABLE DROP other than DROP COLUMN"));
            }
            AlterOperation::DropColumn {
                name: self.identifier()?,
            }
        } else if let Some(Token::Word(w)) = self.peek() {
            let what = w.to_ascii_uppercase();
            return Err(self.unsupported(&format!("ALTER TABLE ... {what}")));
        } else {
            return Err(self.expected("ADD, DROP"));
        };
        if self.eat_symbol(",") {
            return Err(self.unsupported("several ALTER TABLE clauses in one statement"));
        }
        if self.is_keyword("PROPERTIES") {
            return Err(self.unsupported("ALTER TABLE ... PROPERTIES"));
        }
        Ok(Statement::AlterTable { name, operation })
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol)
    }

    fn show(&mut self) -> Result<Statement, SqlError> {
        if self.eat_keyword("DATABASES") || self.eat_keyword("SCHEMAS") {
            self.reject_show_filters()?;
            return Ok(Statement::ShowDatabases);
        }
        self.eat_keyword("FULL");
        if self.eat_keyword("TABLES") {
            let database = if self.eat_keyword("FROM") || self.eat_keyword("IN") {
                Some(self.identifier()?)
            } else {
                None
            };
            self.reject_show_filters()?;
            return Ok(Statement::ShowTables { database });
        }
        if self.eat_keywords(&["CREATE", "TABLE"]) {
            return Ok(Statement::ShowCreateTable {
                name: self.table_name()?,
            });
        }
        if self.eat_keywords(&["ALTER", "TABLE", "COLUMN"]) {
            // Filters are irrelevant: there are never pending jobs.
            self.pos = self.tokens.len();
            return Ok(Statement::ShowAlterTableColumn);
        }
        if let Some(Token::Word(w)) = self.peek() {
            let what = w.to_ascii_uppercase();
            return Err(self.unsupported(&format!("SHOW {what}")));
        }
        Err(self.unexpected())
    }

    fn reject_show_filters(&self) -> Result<(), SqlError> {
        if self.is_keyword("LIKE") || self.is_keyword("WHERE") {
            return Err(self.unsupported("LIKE/WHERE filters on SHOW"));
        }
        Ok(())
    }

    // ---- SELECT ----

    fn select(&mut self) -> Result<Select, SqlError> {
        if self.eat_keyword("DISTINCT") {
            return Err(self.unsupported("SELECT DISTINCT"));
        }
        let mut items = vec![self.select_item()?];
        while self.eat_symbol(",") {
            items.push(self.select_item()?);
        }
        let mut select = Select {
            items,
            from: None,
            filter: None,
            order_by: Vec::new(),
            limit: None,
            offset: 0,
        };
        if self.eat_keyword("FROM") {
            select.from = Some(self.table_name()?);
            // Optional alias.
            let has_alias = self.eat_keyword("AS")
                || matches!(self.peek(), Some(Token::Word(w)) if !is_clause_keyword(w))
                || matches!(self.peek(), Some(Token::Quoted(_)));
            if has_alias {
                self.identifier()?;
            }
            if self.is_keyword("JOIN")
                || self.is_keyword("INNER")
                || self.is_keyword("LEFT")
                || self.is_keyword("RIGHT")
                || self.is_symbol(",")
            {
                return Err(self.unsupported("joins"));
            }
        }
        if self.eat_keyword("WHERE") {
            select.filter = Some(self.expr()?);
        }
        if self.is_keyword("GROUP") || self.is_keyword("HAVING") {
            return Err(self.unsupported("GROUP BY / HAVING"));
        }
        if self.eat_keyword("ORDER") {
            self.expect_keyword("BY")?;
            loop {
                let expr = self.expr()?;
                let descending = if self.eat_keyword("DESC") {
                    true
                } else {
                    self.eat_keyword("ASC");
                    false
                };
                select.order_by.push(OrderKey { expr, descending });
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        if self.eat_keyword("LIMIT") {
            let first = self.unsigned()?;
            if self.eat_symbol(",") {
                select.offset = first;
                select.limit = Some(self.unsigned()?);
            } else {
                select.limit = Some(first);
                if self.eat_keyword("OFFSET") {
                    select.offset = self.unsigned()?;
                }
            }
        }
        if self.is_keyword("UNION") {
            return Err(self.unsupported("UNION"));
        }
        Ok(select)
    }

    fn select_item(&mut self) -> Result<SelectItem, SqlError> {
        if self.eat_symbol("*") {
            return Ok(SelectItem::Star);
        }
        // `t.*`
        if matches!(self.peek(), Some(Token::Word(_) | Token::Quoted(_)))
            && matches!(self.peek_at(1), Some(Token::Symbol(".")))
            && matches!(self.peek_at(2), Some(Token::Symbol("*")))
        {
            self.pos += 3;
            return Ok(SelectItem::Star);
        }
        let start = self.offset();
        let expr = self.expr()?;
        let end = self.offset();
        let written = self.sql.get(start..end).unwrap_or("").trim().to_string();
        let name = if self.eat_keyword("AS") {
            match self.advance() {
                Some(Token::Word(w) | Token::Quoted(w) | Token::Str(w)) => w,
                _ => {
                    self.pos = self.pos.saturating_sub(1);
                    return Err(self.expected("alias"));
                }
            }
        } else if let Some(Token::Quoted(alias) | Token::Str(alias)) = self.peek().cloned() {
            self.pos += 1;
            alias
        } else if let Some(Token::Word(w)) = self.peek().cloned() {
            if is_clause_keyword(&w) {
                default_item_name(&expr, written)
            } else {
                self.pos += 1;
                w
            }
        } else {
            default_item_name(&expr, written)
        };
        Ok(SelectItem::Expr { expr, name })
    }

    fn expr(&mut self) -> Result<Expr, SqlError> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(self.unsupported("expressions nested this deeply"));
        }
        let result = self.or_expr();
        self.depth -= 1;
        result
    }

    fn or_expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.and_expr()?;
        while self.eat_keyword("OR") {
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.not_expr()?;
        while self.eat_keyword("AND") {
            let right = self.not_expr()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr, SqlError> {
        if self.eat_keyword("NOT") {
            self.depth += 1;
            if self.depth > MAX_EXPR_DEPTH {
                return Err(self.unsupported("expressions nested this deeply"));
            }
            let inner = self.not_expr();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner?)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, SqlError> {
        let left = self.primary()?;
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            self.expect_keyword("NULL")?;
            return Ok(Expr::IsNull {
                expr: Box::new(left),
                negated,
            });
        }
        let negated = self.is_keyword("NOT")
            && (self.is_keyword_at(1, "IN") || self.is_keyword_at(1, "LIKE"));
        if negated {
            self.pos += 1;
        }
        if self.eat_keyword("IN") {
            self.expect_symbol("(")?;
            let mut list = vec![self.expr()?];
            while self.eat_symbol(",") {
                list.push(self.expr()?);
            }
            self.expect_symbol(")")?;
            return Ok(Expr::InList {
                expr: Box::new(left),
                list,
                negated,
            });
        }
        if self.eat_keyword("LIKE") {
            let pattern = self.primary()?;
            return Ok(Expr::Like {
                expr: Box::new(left),
                pattern: Box::new(pattern),
                negated,
            });
        }
        let op = match self.peek() {
            Some(Token::Symbol("=")) => CompareOp::Eq,
            Some(Token::Symbol("<>" | "!=")) => CompareOp::NotEq,
            Some(Token::Symbol("<")) => CompareOp::Lt,
            Some(Token::Symbol("<=")) => CompareOp::LtEq,
            Some(Token::Symbol(">")) => CompareOp::Gt,
            Some(Token::Symbol(">=")) => CompareOp::GtEq,
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.primary()?;
        Ok(Expr::Compare {
            left: Box::new(left),
            op,
            right: Box::new(right),
        })
    }

    fn primary(&mut self) -> Result<Expr, SqlError> {
        match self.peek().cloned() {
            Some(Token::Str(s)) => {
                self.pos += 1;
                Ok(Expr::Literal(Literal::Str(s)))
            }
            Some(Token::Number(n)) => {
                self.pos += 1;
                Ok(Expr::Literal(Literal::Number(n)))
            }
            Some(Token::Symbol("-")) => {
                self.pos += 1;
                match self.advance() {
                    Some(Token::Number(n)) => Ok(Expr::Literal(Literal::Number(format!("-{n}")))),
                    _ => {
                        self.pos = self.pos.saturating_sub(1);
                        Err(self.expected("number"))
                    }
                }
            }
            Some(Token::Symbol("(")) => {
                self.pos += 1;
                if self.is_keyword("SELECT") {
                    return Err(self.unsupported("subqueries"));
                }
                let inner = self.expr()?;
                self.expect_symbol(")")?;
                Ok(inner)
            }
            Some(Token::Symbol("@")) => {
                self.pos += 1;
                let system = self.eat_symbol("@");
                let mut name = self.identifier()?;
                if system {
                    // `@@session.x`, `@@global.x`, `@@local.x`
                    let scoped = ["session", "global", "local"]
                        .iter()
                        .any(|s| name.eq_ignore_ascii_case(s));
                    if scoped && self.eat_symbol(".") {
                        name = self.identifier()?;
                    }
                    Ok(Expr::Variable(name.to_ascii_lowercase()))
                } else {
                    Err(self.unsupported("user variables"))
                }
            }
            Some(Token::Word(w)) => {
                let upper = w.to_ascii_uppercase();
                match upper.as_str() {
                    "NULL" => {
                        self.pos += 1;
                        return Ok(Expr::Literal(Literal::Null));
                    }
                    "TRUE" => {
                        self.pos += 1;
                        return Ok(Expr::Literal(Literal::Bool(true)));
                    }
                    "FALSE" => {
                        self.pos += 1;
                        return Ok(Expr::Literal(Literal::Bool(false)));
                    }
                    "CASE" | "CAST" | "EXISTS" | "INTERVAL" => {
                        return Err(self.unsupported(&format!("{upper} expressions")));
                    }
                    _ => {}
                }
                if matches!(self.peek_at(1), Some(Token::Symbol("("))) {
                    self.pos += 2;
                    return self.function_call(w);
                }
                if is_reserved(&w) {
                    return Err(self.unexpected());
                }
                self.column_reference()
            }
            Some(Token::Quoted(_)) => self.column_reference(),
            _ => Err(self.unexpected()),
        }
    }

    fn column_reference(&mut self) -> Result<Expr, SqlError> {
        let mut name = self.identifier()?;
        // Qualified names (`t.c`, `db.t.c`): keep the last part.
        while self.eat_symbol(".") {
            name = self.identifier()?;
        }
        Ok(Expr::Column(name))
    }

    fn function_call(&mut self, name: String) -> Result<Expr, SqlError> {
        if self.eat_symbol("*") {
            self.expect_symbol(")")?;
            return Ok(Expr::Function {
                name: name.to_ascii_lowercase(),
                args: Vec::new(),
                star: true,
            });
        }
        let mut args = Vec::new();
        if !self.eat_symbol(")") {
            loop {
                args.push(self.expr()?);
                if self.eat_symbol(",") {
                    continue;
                }
                self.expect_symbol(")")?;
                break;
            }
        }
        Ok(Expr::Function {
            name: name.to_ascii_lowercase(),
            args,
            star: false,
        })
    }
}

/// Reserved words that cannot be bare column names.
fn is_reserved(word: &str) -> bool {
    is_clause_keyword(word)
        || [
            "SELECT", "AND", "OR", "NOT", "IN", "IS", "LIKE", "BY", "AS", "ON", "TABLE",
        ]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

/// Words that end a select item or a FROM clause rather than being an alias.
fn is_clause_keyword(word: &str) -> bool {
    [
        "FROM", "WHERE", "ORDER", "LIMIT", "GROUP", "HAVING", "UNION", "JOIN", "INNER", "LEFT",
        "RIGHT", "OFFSET", "ASC", "DESC",
    ]
    .iter()
    .any(|k| word.eq_ignore_ascii_case(k))
}

/// The output column name of an unaliased item: the column name for a column, otherwise the
/// expression as written (as MySQL and StarRocks do).
fn default_item_name(expr: &Expr, written: String) -> String {
    match expr {
        Expr::Column(name) => name.clone(),
        _ => written,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Statement {
        match parse_statement(sql) {
            Ok(s) => s,
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    #[test]
    fn parses_create_table() {
        let Statement::CreateTable(t) = parse(
            "CREATE TABLE IF NOT EXISTS `d`.`t` (\n  `k1` BIGINT NOT NULL COMMENT 'key',\n  \
             v DECIMAL(10, 2) NULL DEFAULT \"0\"\n) ENGINE=OLAP PRIMARY KEY(`k1`) \
             COMMENT 'tbl' DISTRIBUTED BY HASH(k1) BUCKETS 4 ORDER BY (k1) \
             PROPERTIES(\"replication_num\" = \"1\");",
        ) else {
            panic!("not a CREATE TABLE");
        };
        assert!(t.if_not_exists);
        assert_eq!(
            t.name,
            TableName {
                database: Some("d".into()),
                table: "t".into()
            }
        );
        assert_eq!(t.columns.len(), 2);
        assert_eq!(t.columns[0].nullable, Some(false));
        assert_eq!(t.columns[0].comment.as_deref(), Some("key"));
        assert_eq!(t.columns[1].type_params, vec![10, 2]);
        assert_eq!(t.columns[1].default, Some(Some("0".into())));
        assert_eq!(
            t.keys,
            Some((KeysModel::PrimaryKeys, vec!["k1".to_string()]))
        );
        assert_eq!(
            t.distribution,
            Some(Distribution::Hash {
                columns: vec!["k1".into()],
                buckets: Some(4)
            })
        );
        assert_eq!(t.comment.as_deref(), Some("tbl"));
        assert_eq!(
            t.properties,
            vec![("replication_num".to_string(), "1".to_string())]
        );
    }

    #[test]
    fn parses_simple_statements() {
        assert_eq!(
            parse("create database if not exists x"),
            Statement::CreateDatabase {
                name: "x".into(),
                if_not_exists: true
            }
        );
        assert_eq!(
            parse("DROP TABLE IF EXISTS d.t FORCE;"),
            Statement::DropTable {
                name: TableName {
                    database: Some("d".into()),
                    table: "t".into()
                },
                if_exists: true
            }
        );
        assert_eq!(parse("show databases"), Statement::ShowDatabases);
        assert_eq!(
            parse("SHOW TABLES FROM `db`"),
            Statement::ShowTables {
                database: Some("db".into())
            }
        );
        assert_eq!(parse("SET NAMES utf8mb4"), Statement::Set);
        assert!(matches!(
            parse("ALTER TABLE t ADD COLUMN c INT NULL AFTER b"),
            Statement::AlterTable {
                operation: AlterOperation::AddColumn {
                    position: Some(ColumnPosition::After(_)),
                    ..
                },
                ..
            }
        ));
    }

    #[test]
    fn parses_select() {
        let Statement::Select(s) = parse(
            "SELECT TABLE_NAME, `COLUMN_KEY` AS k FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = 'd' AND TABLE_NAME IN ('a', 'b') ORDER BY ORDINAL_POSITION DESC \
             LIMIT 10",
        ) else {
            panic!("not a SELECT");
        };
        assert_eq!(s.items.len(), 2);
        assert!(matches!(&s.items[1], SelectItem::Expr { name, .. } if name == "k"));
        assert!(s.filter.is_some());
        assert_eq!(s.order_by.len(), 1);
        assert!(s.order_by[0].descending);
        assert_eq!(s.limit, Some(10));
        let Statement::Select(s) = parse("select @@version_comment limit 1") else {
            panic!("not a SELECT");
        };
        assert!(
            matches!(&s.items[0], SelectItem::Expr { expr: Expr::Variable(v), name }
            if v == "version_comment" && name == "@@version_comment")
        );
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        let inputs = [
            "",
            ";",
            "   ",
            "SELEC 1",
            "SELECT",
            "SELECT FROM",
            "CREATE",
            "CREATE TABLE",
            "CREATE TABLE t",
            "CREATE TABLE t (",
            "CREATE TABLE t (a",
            "CREATE TABLE t (a INT",
            "CREATE TABLE t (a INT) PRIMARY KEY",
            "CREATE TABLE t (a INT) PRIMARY KEY(",
            "CREATE TABLE t (a VARCHAR(99999999999999999999999))",
            "CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 0",
            "CREATE TABLE t (a INT) PROPERTIES (\"a\" = )",
            "DROP",
            "DROP TABLE",
            "ALTER TABLE t",
            "ALTER TABLE t ADD COLUMN",
            "SHOW",
            "SELECT ((((1",
            "SELECT * FROM t WHERE",
            "SELECT * FROM t WHERE a IN (",
            "SELECT * FROM t LIMIT -1",
            "SELECT @",
            "SELECT @@",
            ")(",
            "'",
            "`",
            "\u{0}",
            "INSERT INTO t VALUES (1)",
            "SELECT 1; SELECT 2",
        ];
        for sql in inputs {
            assert!(parse_statement(sql).is_err(), "{sql:?} should be rejected");
        }
        assert!(parse_statement("SELECT 'é' FROM `ü`").is_ok());
        let deep = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse_statement(&deep).is_err());
        let deep_not = format!("SELECT * FROM t WHERE {} a = 1", "NOT ".repeat(10_000));
        assert!(parse_statement(&deep_not).is_err());
    }

    #[test]
    fn parses_types() {
        assert_eq!(
            parse_type_parts("decimal(10, 2)").ok(),
            Some(("decimal".to_string(), vec![10, 2]))
        );
        assert!(parse_type_parts("int(").is_err());
        assert!(parse_type_parts("int x").is_err());
    }
}
