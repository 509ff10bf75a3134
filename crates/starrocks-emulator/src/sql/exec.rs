//! Statement execution against the catalog, and the `SELECT` engine.
//!
//! [`execute`] parses one statement, locks the catalog for the duration of that statement only
//! (it is synchronous: the lock is never held across an `.await`), and returns either an OK
//! (with affected rows) or a result set already rendered to text the way StarRocks sends it.
//!
//! `SELECT` works on a [`Relation`] (a user table, an `information_schema` view, or one empty
//! row when there is no `FROM`): filter (`WHERE` with comparisons, `AND`/`OR`/`NOT`, `IN`,
//! `IS [NOT] NULL`, `LIKE`), `COUNT(*)`, `ORDER BY` (names, aliases, ordinals; NULLs first when
//! ascending, as StarRocks does), `LIMIT`/`OFFSET`, then projection.

use std::cmp::Ordering;
use std::sync::Mutex;

use super::ast::{CompareOp, Expr, Literal, Select, SelectItem, Statement, TableName};
use super::ddl::{self, is_information_schema, INFORMATION_SCHEMA};
use super::error::{code, SqlError};
use super::information_schema::{self, VIEWS};
use super::parser::parse_statement;
use super::types::{render_value_bytes, DEFAULT_STRING_LENGTH};
use super::{MYSQL_SERVER_VERSION, STARROCKS_VERSION};
use crate::catalog::{Catalog, ColumnType, Value};

/// Per-connection state.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// The current database (`USE db`, or the database given at connect).
    pub current_database: Option<String>,
    /// The connection id `CONNECTION_ID()` returns.
    pub connection_id: u32,
    /// The authenticated user.
    pub user: String,
}

/// A result column: its name and the StarRocks type its values have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultColumn {
    pub name: String,
    pub ty: ColumnType,
}

/// A rendered result set: each cell is the text StarRocks would send, `None` for NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultSet {
    pub columns: Vec<ResultColumn>,
    pub rows: Vec<Vec<Option<Vec<u8>>>>,
}

/// What a statement returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutput {
    /// An OK packet.
    Ok { affected_rows: u64 },
    /// A result set.
    Rows(ResultSet),
}

/// Typed rows before rendering.
#[derive(Debug, Clone)]
pub(crate) struct Relation {
    pub columns: Vec<ResultColumn>,
    pub rows: Vec<Vec<Value>>,
}

/// Parses and executes one statement for `session`, locking `catalog` only while it runs.
pub fn execute(
    session: &mut Session,
    catalog: &Mutex<Catalog>,
    sql: &str,
) -> Result<QueryOutput, SqlError> {
    let statement = parse_statement(sql)?;
    // Why: a panic elsewhere while holding the lock must not take the query port down with it;
    // the catalog holds plain data, so using it after a poisoning is safe.
    let mut guard = catalog
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    execute_statement(session, &mut guard, statement)
}

/// Like [`execute`], on a catalog the caller already holds.
pub fn execute_on(
    session: &mut Session,
    catalog: &mut Catalog,
    sql: &str,
) -> Result<QueryOutput, SqlError> {
    let statement = parse_statement(sql)?;
    execute_statement(session, catalog, statement)
}

/// Switches the session's database (`USE db` / `COM_INIT_DB`).
pub fn use_database(
    session: &mut Session,
    catalog: &Catalog,
    database: &str,
) -> Result<(), SqlError> {
    if catalog.databases.contains_key(database) || is_information_schema(database) {
        session.current_database = Some(database.to_string());
        Ok(())
    } else {
        Err(SqlError::new(
            code::BAD_DB,
            format!("Unknown database '{database}'"),
        ))
    }
}

const OK: QueryOutput = QueryOutput::Ok { affected_rows: 0 };

fn current_database(session: &Session) -> Result<String, SqlError> {
    session
        .current_database
        .clone()
        .ok_or_else(|| SqlError::analysis_with_code(code::NO_DB, "No database selected"))
}

fn database_of(session: &Session, name: &TableName) -> Result<String, SqlError> {
    match &name.database {
        Some(db) => Ok(db.clone()),
        None => current_database(session),
    }
}

fn execute_statement(
    session: &mut Session,
    catalog: &mut Catalog,
    statement: Statement,
) -> Result<QueryOutput, SqlError> {
    match statement {
        Statement::CreateDatabase {
            name,
            if_not_exists,
        } => ddl::create_database(catalog, &name, if_not_exists).map(|()| OK),
        Statement::DropDatabase { name, if_exists } => {
            ddl::drop_database(catalog, &name, if_exists).map(|()| OK)
        }
        Statement::CreateTable(create) => {
            let db = database_of(session, &create.name)?;
            ddl::create_table(catalog, &db, &create).map(|()| OK)
        }
        Statement::DropTable { name, if_exists } => {
            let db = database_of(session, &name)?;
            ddl::drop_table(catalog, &db, &name.table, if_exists).map(|()| OK)
        }
        Statement::TruncateTable { name } => {
            let db = database_of(session, &name)?;
            ddl::truncate_table(catalog, &db, &name.table).map(|()| OK)
        }
        Statement::AlterTable { name, operation } => {
            let db = database_of(session, &name)?;
            ddl::alter_table(catalog, &db, &name.table, &operation).map(|()| OK)
        }
        Statement::ShowDatabases => {
            let mut names: Vec<String> = catalog.databases.keys().cloned().collect();
            names.push(INFORMATION_SCHEMA.to_string());
            names.sort();
            Ok(single_column("Database", names))
        }
        Statement::ShowTables { database } => {
            let db = match database {
                Some(db) => db,
                None => current_database(session)?,
            };
            let names: Vec<String> = if is_information_schema(&db) {
                VIEWS.iter().map(|v| (*v).to_string()).collect()
            } else {
                catalog
                    .databases
                    .get(&db)
                    .ok_or_else(|| ddl::unknown_database(&db))?
                    .tables
                    .keys()
                    .cloned()
                    .collect()
            };
            Ok(single_column(&format!("Tables_in_{db}"), names))
        }
        Statement::ShowCreateTable { name } => {
            let db = database_of(session, &name)?;
            if is_information_schema(&db) {
                return Err(SqlError::analysis(
                    "SHOW CREATE TABLE is not supported on information_schema views",
                ));
            }
            let table = catalog
                .databases
                .get(&db)
                .ok_or_else(|| ddl::unknown_database(&db))?
                .tables
                .get(&name.table)
                .ok_or_else(|| ddl::no_such_table(&db, &name.table))?;
            let text = ddl::show_create_table(table);
            Ok(QueryOutput::Rows(ResultSet {
                columns: vec![varchar_column("Table"), varchar_column("Create Table")],
                rows: vec![vec![
                    Some(table.name.clone().into_bytes()),
                    Some(text.into_bytes()),
                ]],
            }))
        }
        Statement::ShowAlterTableColumn => {
            let columns = [
                "JobId",
                "TableName",
                "CreateTime",
                "FinishTime",
                "IndexName",
                "IndexId",
                "OriginIndexId",
                "SchemaVersion",
                "TransactionId",
                "State",
                "Msg",
                "Progress",
                "Timeout",
            ]
            .iter()
            .map(|n| varchar_column(n))
            .collect();
            Ok(QueryOutput::Rows(ResultSet {
                columns,
                rows: Vec::new(),
            }))
        }
        Statement::Use { database } => use_database(session, catalog, &database).map(|()| OK),
        Statement::Set | Statement::Transaction => Ok(OK),
        Statement::Select(select) => run_select(session, catalog, &select),
    }
}

fn varchar_column(name: &str) -> ResultColumn {
    ResultColumn {
        name: name.to_string(),
        ty: ColumnType::Varchar(DEFAULT_STRING_LENGTH),
    }
}

fn single_column(name: &str, values: Vec<String>) -> QueryOutput {
    QueryOutput::Rows(ResultSet {
        columns: vec![varchar_column(name)],
        rows: values
            .into_iter()
            .map(|v| vec![Some(v.into_bytes())])
            .collect(),
    })
}

/// The relation a `FROM` names.
fn source_relation(
    session: &Session,
    catalog: &Catalog,
    name: &TableName,
) -> Result<Relation, SqlError> {
    let db = database_of(session, name)?;
    if is_information_schema(&db) {
        return information_schema::view(catalog, &name.table)
            .ok_or_else(|| ddl::no_such_table(&db, &name.table));
    }
    let table = catalog
        .databases
        .get(&db)
        .ok_or_else(|| ddl::unknown_database(&db))?
        .tables
        .get(&name.table)
        .ok_or_else(|| ddl::no_such_table(&db, &name.table))?;
    let rows = table.row_list();
    Ok(Relation {
        columns: table
            .columns
            .iter()
            .map(|c| ResultColumn {
                name: c.name.clone(),
                ty: c.ty.clone(),
            })
            .collect(),
        rows,
    })
}

/// One output column of a select list, `*` expanded.
struct OutputItem {
    name: String,
    expr: Expr,
}

fn run_select(
    session: &Session,
    catalog: &Catalog,
    select: &Select,
) -> Result<QueryOutput, SqlError> {
    let source = match &select.from {
        Some(name) => source_relation(session, catalog, name)?,
        None => Relation {
            columns: Vec::new(),
            rows: vec![Vec::new()],
        },
    };

    // Expand the select list.
    let mut items = Vec::new();
    for item in &select.items {
        match item {
            SelectItem::Star => {
                if select.from.is_none() {
                    return Err(SqlError::analysis("No tables used"));
                }
                items.extend(source.columns.iter().map(|c| OutputItem {
                    name: c.name.clone(),
                    expr: Expr::Column(c.name.clone()),
                }));
            }
            SelectItem::Expr { expr, name } => items.push(OutputItem {
                name: name.clone(),
                expr: expr.clone(),
            }),
        }
    }

    // WHERE.
    let mut rows = Vec::with_capacity(source.rows.len());
    for row in &source.rows {
        let keep = match &select.filter {
            None => true,
            Some(filter) => {
                let ctx = EvalContext {
                    session,
                    columns: &source.columns,
                    row,
                };
                truth(&eval(filter, &ctx)?) == Some(true)
            }
        };
        if keep {
            rows.push(row.clone());
        }
    }

    // Aggregation (COUNT only).
    if items.iter().any(|i| contains_aggregate(&i.expr)) {
        return aggregate(session, &source.columns, &rows, &items, select);
    }

    // ORDER BY.
    if !select.order_by.is_empty() {
        let mut keys: Vec<(Expr, bool)> = Vec::new();
        for key in &select.order_by {
            keys.push((
                resolve_order_key(&key.expr, &items, &source.columns)?,
                key.descending,
            ));
        }
        let mut keyed: Vec<(Vec<Value>, Vec<Value>)> = Vec::with_capacity(rows.len());
        for row in rows {
            let ctx = EvalContext {
                session,
                columns: &source.columns,
                row: &row,
            };
            let values = keys
                .iter()
                .map(|(expr, _)| eval(expr, &ctx))
                .collect::<Result<Vec<_>, _>>()?;
            keyed.push((values, row));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            for (i, (_, descending)) in keys.iter().enumerate() {
                let ord = sort_order(&a[i], &b[i]);
                let ord = if *descending { ord.reverse() } else { ord };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
        rows = keyed.into_iter().map(|(_, row)| row).collect();
    }

    // LIMIT / OFFSET.
    let offset = usize::try_from(select.offset).unwrap_or(usize::MAX);
    let limit = select
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let rows: Vec<Vec<Value>> = rows.into_iter().skip(offset).take(limit).collect();

    // Projection.
    let mut values: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    for row in &rows {
        let ctx = EvalContext {
            session,
            columns: &source.columns,
            row,
        };
        values.push(
            items
                .iter()
                .map(|item| eval(&item.expr, &ctx))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    // Expressions without rows still have to resolve (unknown columns are errors).
    if rows.is_empty() {
        let empty_row: Vec<Value> = source.columns.iter().map(|_| Value::Null).collect();
        let ctx = EvalContext {
            session,
            columns: &source.columns,
            row: &empty_row,
        };
        for item in &items {
            eval(&item.expr, &ctx)?;
        }
    }
    let columns: Vec<ResultColumn> = items
        .iter()
        .enumerate()
        .map(|(i, item)| ResultColumn {
            name: item.name.clone(),
            ty: output_type(&item.expr, &source.columns, values.first().map(|r| &r[i])),
        })
        .collect();
    Ok(QueryOutput::Rows(render(columns, values)))
}

fn render(columns: Vec<ResultColumn>, values: Vec<Vec<Value>>) -> ResultSet {
    let rows = values
        .iter()
        .map(|row| {
            row.iter()
                .zip(&columns)
                .map(|(v, c)| render_value_bytes(v, &c.ty))
                .collect()
        })
        .collect();
    ResultSet { columns, rows }
}

/// The type of an output column: a column's own type, else inferred from a value.
fn output_type(expr: &Expr, columns: &[ResultColumn], sample: Option<&Value>) -> ColumnType {
    if let Expr::Column(name) = expr {
        if let Some(c) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
            return c.ty.clone();
        }
    }
    match sample {
        Some(Value::Int(_)) => ColumnType::BigInt,
        Some(Value::Bool(_)) => ColumnType::Boolean,
        Some(Value::Float(_)) => ColumnType::Double,
        Some(Value::Date(_)) => ColumnType::Date,
        Some(Value::Datetime(_)) => ColumnType::Datetime,
        _ => ColumnType::Varchar(DEFAULT_STRING_LENGTH),
    }
}

fn contains_aggregate(expr: &Expr) -> bool {
    match expr {
        Expr::Function { name, args, .. } => {
            is_aggregate_function(name) || args.iter().any(contains_aggregate)
        }
        Expr::Compare { left, right, .. } => contains_aggregate(left) || contains_aggregate(right),
        Expr::And(a, b) | Expr::Or(a, b) => contains_aggregate(a) || contains_aggregate(b),
        Expr::Not(e) => contains_aggregate(e),
        Expr::InList { expr, list, .. } => {
            contains_aggregate(expr) || list.iter().any(contains_aggregate)
        }
        Expr::IsNull { expr, .. } => contains_aggregate(expr),
        Expr::Like { expr, pattern, .. } => contains_aggregate(expr) || contains_aggregate(pattern),
        Expr::Column(_) | Expr::Literal(_) | Expr::Variable(_) => false,
    }
}

fn is_aggregate_function(name: &str) -> bool {
    matches!(name, "count" | "sum" | "min" | "max" | "avg")
}

fn contains_column(expr: &Expr) -> bool {
    match expr {
        Expr::Column(_) => true,
        Expr::Function { args, .. } => args.iter().any(contains_column),
        Expr::Compare { left, right, .. } => contains_column(left) || contains_column(right),
        Expr::And(a, b) | Expr::Or(a, b) => contains_column(a) || contains_column(b),
        Expr::Not(e) => contains_column(e),
        Expr::InList { expr, list, .. } => {
            contains_column(expr) || list.iter().any(contains_column)
        }
        Expr::IsNull { expr, .. } => contains_column(expr),
        Expr::Like { expr, pattern, .. } => contains_column(expr) || contains_column(pattern),
        Expr::Literal(_) | Expr::Variable(_) => false,
    }
}

/// A select list with `COUNT(...)`: one output row.
fn aggregate(
    session: &Session,
    columns: &[ResultColumn],
    rows: &[Vec<Value>],
    items: &[OutputItem],
    select: &Select,
) -> Result<QueryOutput, SqlError> {
    let empty_row: Vec<Value> = columns.iter().map(|_| Value::Null).collect();
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        let value = match &item.expr {
            Expr::Function { name, args, star } if name == "count" => {
                if *star {
                    Value::Int(i128::try_from(rows.len()).unwrap_or(i128::MAX))
                } else {
                    let [arg] = args.as_slice() else {
                        return Err(SqlError::analysis(
                            "count function only support one argument in the emulator",
                        ));
                    };
                    let mut n: i128 = 0;
                    for row in rows {
                        let ctx = EvalContext {
                            session,
                            columns,
                            row,
                        };
                        if eval(arg, &ctx)? != Value::Null {
                            n += 1;
                        }
                    }
                    Value::Int(n)
                }
            }
            expr if contains_aggregate(expr) => {
                return Err(SqlError::new(
                    code::PARSE,
                    "The StarRocks emulator supports no aggregate function other than COUNT",
                ));
            }
            expr if contains_column(expr) => {
                return Err(SqlError::analysis(format!(
                    "'{}' must be an aggregate expression or appear in GROUP BY clause",
                    item.name
                )));
            }
            expr => eval(
                expr,
                &EvalContext {
                    session,
                    columns,
                    row: &empty_row,
                },
            )?,
        };
        values.push(value);
    }
    let mut result_rows = vec![values];
    if select.offset > 0 || select.limit == Some(0) {
        result_rows.clear();
    }
    let out_columns = items
        .iter()
        .enumerate()
        .map(|(i, item)| ResultColumn {
            name: item.name.clone(),
            ty: output_type(&item.expr, columns, result_rows.first().map(|r| &r[i])),
        })
        .collect();
    Ok(QueryOutput::Rows(render(out_columns, result_rows)))
}

fn resolve_order_key(
    expr: &Expr,
    items: &[OutputItem],
    columns: &[ResultColumn],
) -> Result<Expr, SqlError> {
    match expr {
        Expr::Literal(Literal::Number(n)) => {
            let ordinal: usize = n
                .parse()
                .map_err(|_| SqlError::analysis(format!("Invalid ORDER BY position {n}")))?;
            ordinal
                .checked_sub(1)
                .and_then(|i| items.get(i))
                .map(|item| item.expr.clone())
                .ok_or_else(|| {
                    SqlError::analysis(format!("ORDER BY position {ordinal} is not in select list"))
                })
        }
        Expr::Column(name) => {
            if columns.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
                Ok(expr.clone())
            } else if let Some(item) = items.iter().find(|i| i.name.eq_ignore_ascii_case(name)) {
                Ok(item.expr.clone())
            } else {
                Err(unknown_column(name))
            }
        }
        _ => Ok(expr.clone()),
    }
}

fn unknown_column(name: &str) -> SqlError {
    SqlError::analysis_with_code(
        code::BAD_FIELD,
        format!("Column '{name}' cannot be resolved"),
    )
}

struct EvalContext<'a> {
    session: &'a Session,
    columns: &'a [ResultColumn],
    row: &'a [Value],
}

fn literal_value(literal: &Literal) -> Value {
    match literal {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Str(s) => Value::Text(s.clone()),
        Literal::Number(n) => match n.parse::<i128>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Decimal(n.clone()),
        },
    }
}

fn eval(expr: &Expr, ctx: &EvalContext<'_>) -> Result<Value, SqlError> {
    match expr {
        Expr::Column(name) => {
            let index = ctx
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| unknown_column(name))?;
            Ok(ctx.row.get(index).cloned().unwrap_or(Value::Null))
        }
        Expr::Literal(literal) => Ok(literal_value(literal)),
        Expr::Variable(name) => system_variable(name, ctx.session),
        Expr::Function { name, args, star } => function(name, args, *star, ctx),
        Expr::Compare { left, op, right } => {
            let l = eval(left, ctx)?;
            let r = eval(right, ctx)?;
            Ok(match compare(&l, &r) {
                None => Value::Null,
                Some(ord) => Value::Bool(match op {
                    CompareOp::Eq => ord == Ordering::Equal,
                    CompareOp::NotEq => ord != Ordering::Equal,
                    CompareOp::Lt => ord == Ordering::Less,
                    CompareOp::LtEq => ord != Ordering::Greater,
                    CompareOp::Gt => ord == Ordering::Greater,
                    CompareOp::GtEq => ord != Ordering::Less,
                }),
            })
        }
        Expr::And(a, b) => {
            let a = truth(&eval(a, ctx)?);
            let b = truth(&eval(b, ctx)?);
            Ok(match (a, b) {
                (Some(false), _) | (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            })
        }
        Expr::Or(a, b) => {
            let a = truth(&eval(a, ctx)?);
            let b = truth(&eval(b, ctx)?);
            Ok(match (a, b) {
                (Some(true), _) | (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            })
        }
        Expr::Not(e) => Ok(truth(&eval(e, ctx)?).map_or(Value::Null, |b| Value::Bool(!b))),
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let v = eval(expr, ctx)?;
            if v == Value::Null {
                return Ok(Value::Null);
            }
            let mut saw_null = false;
            for candidate in list {
                match compare(&v, &eval(candidate, ctx)?) {
                    Some(Ordering::Equal) => return Ok(Value::Bool(!negated)),
                    None => saw_null = true,
                    Some(_) => {}
                }
            }
            Ok(if saw_null {
                Value::Null
            } else {
                Value::Bool(*negated)
            })
        }
        Expr::IsNull { expr, negated } => {
            let is_null = eval(expr, ctx)? == Value::Null;
            Ok(Value::Bool(is_null != *negated))
        }
        Expr::Like {
            expr,
            pattern,
            negated,
        } => {
            let v = eval(expr, ctx)?;
            let p = eval(pattern, ctx)?;
            match (text_of(&v), text_of(&p)) {
                (Some(v), Some(p)) => Ok(Value::Bool(like(&v, &p) != *negated)),
                _ => Ok(Value::Null),
            }
        }
    }
}

/// Truth of a value in a condition; `None` is SQL UNKNOWN.
fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::Int(i) => Some(*i != 0),
        Value::Float(f) => Some(*f != 0.0),
        other => text_of(other).map(|t| t.trim().parse::<f64>().is_ok_and(|f| f != 0.0)),
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Decimal(s)
        | Value::Text(s)
        | Value::Date(s)
        | Value::Datetime(s)
        | Value::Json(s) => Some(s.clone()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

/// A numeric view of a value, if it has one.
fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        // Precision loss only matters beyond 2^53, where the i128 path below is used.
        #[allow(clippy::cast_precision_loss)]
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Decimal(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn is_numeric(v: &Value) -> bool {
    matches!(
        v,
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Decimal(_)
    )
}

/// SQL comparison: `None` when either side is NULL (or the values cannot be compared).
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    if *a == Value::Null || *b == Value::Null {
        return None;
    }
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return Some(x.cmp(y));
    }
    if is_numeric(a) || is_numeric(b) {
        let x = number_of(a).or_else(|| text_of(a).and_then(|t| t.trim().parse().ok()));
        let y = number_of(b).or_else(|| text_of(b).and_then(|t| t.trim().parse().ok()));
        return match (x, y) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => None,
        };
    }
    if let (Value::Bytes(x), Value::Bytes(y)) = (a, b) {
        return Some(x.cmp(y));
    }
    Some(text_of(a)?.cmp(&text_of(b)?))
}

/// Total order for ORDER BY: NULL first, then SQL comparison.
fn sort_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    }
}

/// SQL `LIKE` with `%` and `_` (and `\` escaping), case-sensitive as in StarRocks.
/// Iterative with backtracking to the last `%`, so hostile patterns stay linear-ish.
fn like(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => P::Char(chars.next().unwrap_or('\\')),
            other => P::Char(other),
        });
    }
    let text: Vec<char> = text.chars().collect();
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(P::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(P::One) => {
                t += 1;
                p += 1;
            }
            Some(P::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|tok| *tok == P::Any)
}

fn function(
    name: &str,
    args: &[Expr],
    star: bool,
    ctx: &EvalContext<'_>,
) -> Result<Value, SqlError> {
    let no_args = |value: Value| -> Result<Value, SqlError> {
        if args.is_empty() && !star {
            Ok(value)
        } else {
            Err(SqlError::analysis(format!(
                "No matching function with signature: {name}(...)"
            )))
        }
    };
    match name {
        "version" => no_args(Value::Text(MYSQL_SERVER_VERSION.to_string())),
        "current_version" => no_args(Value::Text(STARROCKS_VERSION.to_string())),
        "database" | "schema" => no_args(
            ctx.session
                .current_database
                .clone()
                .map_or(Value::Null, Value::Text),
        ),
        "user" | "current_user" | "session_user" | "system_user" => {
            no_args(Value::Text(format!("'{}'@'%'", ctx.session.user)))
        }
        "connection_id" => no_args(Value::Int(i128::from(ctx.session.connection_id))),
        "now" | "current_timestamp" | "sysdate" | "localtime" | "localtimestamp" => {
            no_args(Value::Datetime(now_datetime()))
        }
        "count" | "sum" | "min" | "max" | "avg" => Err(SqlError::analysis(format!(
            "{name}() is only allowed in the select list"
        ))),
        "lower" | "upper" => {
            let [arg] = args else {
                return Err(SqlError::analysis(format!(
                    "No matching function with signature: {name}(...)"
                )));
            };
            Ok(match text_of(&eval(arg, ctx)?) {
                None => Value::Null,
                Some(t) if name == "lower" => Value::Text(t.to_lowercase()),
                Some(t) => Value::Text(t.to_uppercase()),
            })
        }
        _ => Err(SqlError::analysis(format!(
            "No matching function with signature: {name}(...)"
        ))),
    }
}

/// `@@name` as StarRocks answers it for a fresh session.
fn system_variable(name: &str, session: &Session) -> Result<Value, SqlError> {
    let text = |s: &str| Ok(Value::Text(s.to_string()));
    let int = |i: i128| Ok(Value::Int(i));
    match name {
        "version_comment" => text(&format!("StarRocks version {STARROCKS_VERSION}")),
        "version" => text(MYSQL_SERVER_VERSION),
        "max_allowed_packet" => int(33_554_432),
        "wait_timeout" => int(28_800),
        "interactive_timeout" => int(3_600),
        "net_write_timeout" => int(60),
        "net_read_timeout" => int(60),
        "net_buffer_length" => int(16_384),
        "auto_increment_increment" => int(1),
        "autocommit" => int(1),
        "lower_case_table_names" => int(0),
        "query_cache_size" => int(1_048_576),
        "query_cache_type" => int(0),
        "query_timeout" => int(300),
        "performance_schema" => int(0),
        "tx_read_only" | "transaction_read_only" => int(0),
        "character_set_client"
        | "character_set_connection"
        | "character_set_results"
        | "character_set_server"
        | "character_set_database" => text("utf8"),
        "collation_connection" | "collation_server" | "collation_database" => {
            text("utf8_general_ci")
        }
        "init_connect" => text(""),
        "license" => text("Apache License 2.0"),
        "sql_mode" => text("ONLY_FULL_GROUP_BY"),
        "system_time_zone" => text("UTC"),
        "time_zone" => text("Asia/Shanghai"),
        "tx_isolation" | "transaction_isolation" => text("REPEATABLE-READ"),
        "language" => text("/starrocks/share/english/"),
        "hostname" => text("starrocks-emulator"),
        "port" => int(9030),
        "sql_select_limit" => int(9_223_372_036_854_775_807),
        "session_track_system_variables" => text(""),
        "default_storage_engine" => text("olap"),
        "current_database" => Ok(session
            .current_database
            .clone()
            .map_or(Value::Null, Value::Text)),
        _ => Err(SqlError::new(
            code::UNKNOWN_SYSTEM_VARIABLE,
            format!("Unknown system variable '{name}'"),
        )),
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS`.
fn now_datetime() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches() {
        assert!(like("abc", "a%"));
        assert!(like("abc", "%c"));
        assert!(like("abc", "a_c"));
        assert!(!like("abc", "a_"));
        assert!(like("a%c", "a\\%c"));
        assert!(!like("abc", "A%"));
        assert!(like("", "%"));
        assert!(like(&"a".repeat(200), &"%a".repeat(50)));
    }

    #[test]
    fn compares_mixed_values() {
        assert_eq!(
            compare(&Value::Int(2), &Value::Text("10".into())),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(
                &Value::Decimal("1.50".into()),
                &Value::Decimal("1.5".into())
            ),
            Some(Ordering::Equal)
        );
        assert_eq!(compare(&Value::Null, &Value::Int(1)), None);
        assert_eq!(
            compare(&Value::Text("a".into()), &Value::Text("b".into())),
            Some(Ordering::Less)
        );
    }

    /// Valid statements, truncated at every character and with single characters replaced:
    /// whatever the result, execution never panics.
    #[test]
    fn mutated_statements_never_panic() {
        let statements = [
            "CREATE DATABASE IF NOT EXISTS d",
            "CREATE TABLE d.t (`k` BIGINT NOT NULL COMMENT 'c', v DECIMAL(10,2) DEFAULT \"1\") \
             PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2 PROPERTIES(\"replication_num\"=\"1\")",
            "ALTER TABLE d.t ADD COLUMN c VARCHAR(10) NULL AFTER v",
            "ALTER TABLE d.t DROP COLUMN c",
            "SELECT k, v FROM d.t WHERE k IN (1, 2) AND v IS NOT NULL OR k LIKE '1%' \
             ORDER BY 2 DESC, k LIMIT 3 OFFSET 1",
            "SELECT COUNT(*), @@version_comment, current_version() FROM d.t",
            "SELECT * FROM information_schema.tables_config WHERE TABLE_NAME = 't'",
            "SHOW CREATE TABLE d.t",
            "TRUNCATE TABLE d.t",
            "DROP TABLE IF EXISTS d.t FORCE",
        ];
        let replacements = [
            '(', ')', ',', '\'', '`', '"', ';', '*', '@', '.', ' ', 'x', '9', '-',
        ];
        let mut catalog = Catalog::default();
        let mut session = Session::default();
        for statement in statements {
            let chars: Vec<char> = statement.chars().collect();
            for cut in 0..chars.len() {
                let truncated: String = chars[..cut].iter().collect();
                let _ = execute_on(&mut session, &mut catalog, &truncated);
                for r in replacements {
                    let mut mutated = chars.clone();
                    mutated[cut] = r;
                    let mutated: String = mutated.into_iter().collect();
                    let _ = execute_on(&mut session, &mut catalog, &mutated);
                }
            }
            let _ = execute_on(&mut session, &mut catalog, statement);
        }
    }

    #[test]
    fn now_is_formatted() {
        let now = now_datetime();
        assert_eq!(now.len(), 19, "{now}");
        assert_eq!(&now[4..5], "-");
        assert_eq!(&now[10..11], " ");
    }
}
