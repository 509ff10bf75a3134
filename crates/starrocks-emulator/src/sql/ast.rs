//! The statements the query port understands, as parsed (names not yet resolved against the
//! catalog, types not yet checked).

use crate::catalog::KeysModel;

/// `[db.]table` as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableName {
    pub database: Option<String>,
    pub table: String,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Statement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
    },
    CreateTable(Box<CreateTable>),
    DropTable {
        name: TableName,
        if_exists: bool,
    },
    TruncateTable {
        name: TableName,
    },
    AlterTable {
        name: TableName,
        operation: AlterOperation,
    },
    ShowDatabases,
    ShowTables {
        database: Option<String>,
    },
    ShowCreateTable {
        name: TableName,
    },
    /// `SHOW ALTER TABLE COLUMN [FROM db] ...`: schema changes are synchronous here, so there is
    /// never a pending job.
    ShowAlterTableColumn,
    Use {
        database: String,
    },
    /// `SET ...` (session variables, `NAMES`): accepted and ignored.
    Set,
    /// `BEGIN`, `COMMIT`, `ROLLBACK`: accepted as no-ops (no DML here).
    Transaction,
    Select(Box<Select>),
}

/// `CREATE TABLE` as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreateTable {
    pub name: TableName,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub engine: Option<String>,
    pub keys: Option<(KeysModel, Vec<String>)>,
    pub comment: Option<String>,
    pub distribution: Option<Distribution>,
    pub order_by: Option<Vec<String>>,
    pub properties: Vec<(String, String)>,
}

/// One column definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub name: String,
    /// Type name as written (`varchar`, `DECIMAL`, ...).
    pub type_name: String,
    pub type_params: Vec<u64>,
    /// `Some(true)` for `NULL`, `Some(false)` for `NOT NULL`, `None` if unspecified.
    pub nullable: Option<bool>,
    /// Aggregate type (`SUM`, `REPLACE`, ...) for AGGREGATE KEY tables.
    pub aggregate: Option<String>,
    /// `DEFAULT` value: `None` = no default; `Some(None)` = `DEFAULT NULL`.
    pub default: Option<Option<String>>,
    pub comment: Option<String>,
}

/// `DISTRIBUTED BY ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Distribution {
    Hash {
        columns: Vec<String>,
        buckets: Option<u32>,
    },
    Random {
        buckets: Option<u32>,
    },
}

/// `ALTER TABLE` clauses the emulator applies.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AlterOperation {
    AddColumn {
        column: ColumnDef,
        position: Option<ColumnPosition>,
    },
    DropColumn {
        name: String,
    },
}

/// Where `ADD COLUMN` puts the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ColumnPosition {
    First,
    After(String),
}

/// `SELECT items [FROM t] [WHERE e] [ORDER BY ...] [LIMIT ...]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    pub items: Vec<SelectItem>,
    pub from: Option<TableName>,
    pub filter: Option<Expr>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<u64>,
    pub offset: u64,
}

/// One item of the select list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SelectItem {
    /// `*` (or `t.*`).
    Star,
    /// An expression, with its output name (alias, or the text as written).
    Expr { expr: Expr, name: String },
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderKey {
    pub expr: Expr,
    pub descending: bool,
}

/// Scalar expressions: enough for simple filters and session queries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A column reference (qualifiers dropped).
    Column(String),
    Literal(Literal),
    /// `@@[session.|global.]name` or `@name`.
    Variable(String),
    /// `name(args)`; `COUNT(*)` has `star = true`.
    Function {
        name: String,
        args: Vec<Expr>,
        star: bool,
    },
    Compare {
        left: Box<Expr>,
        op: CompareOp,
        right: Box<Expr>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

/// Literals.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Null,
    Bool(bool),
    /// Numeric text as written, sign included.
    Number(String),
    Str(String),
}
