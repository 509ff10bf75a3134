//! A table with every MySQL column type and rows with edge values (NULLs, min/max integers,
//! unsigned max, DECIMAL(65,30), zero dates, microseconds, negative TIME, 4-byte UTF-8,
//! separators inside strings, binary bytes, JSON), shared by the binlog and snapshot scenarios.

/// The source table `ty.t`.
pub const SOURCE_DDL: &[&str] = &[
    "CREATE DATABASE ty",
    "CREATE TABLE ty.t (id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, \
     siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, \
     bi BIGINT, biu BIGINT UNSIGNED, f FLOAT, d DOUBLE, dec1 DECIMAL(65,30), dec2 DECIMAL(10,2), \
     c CHAR(10), vc VARCHAR(100), t TEXT, b BINARY(4), vb VARBINARY(20), bl BLOB, dt DATE, \
     dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(6), y YEAR, bt BIT(10), \
     e ENUM('a','b','c'), st SET('x','y','z'), j JSON, l1 VARCHAR(20) CHARACTER SET latin1)",
];

/// The target table `ty.t`, typed by the reference's mapping.
pub const TARGET_DDL: &[&str] = &[
    "CREATE DATABASE ty",
    "CREATE TABLE ty.t (id INT NOT NULL, ti TINYINT, tiu SMALLINT, si SMALLINT, siu INT, mi INT, \
     miu INT, i INT, iu BIGINT, bi BIGINT, biu LARGEINT, f FLOAT, d DOUBLE, dec1 VARCHAR(100), \
     dec2 DECIMAL(10,2), c VARCHAR(40), vc VARCHAR(400), t STRING, b VARBINARY(4), vb VARBINARY(20), \
     bl VARBINARY, dt DATE, dtm DATETIME, ts DATETIME, tm VARCHAR(32), y SMALLINT, bt VARBINARY(8), \
     e VARCHAR(16), st VARCHAR(32), j JSON, l1 VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
];

/// Rows with edge values (run on one session: the first statement relaxes `sql_mode`).
pub const ROWS: &[&str] = &[
    "SET SESSION sql_mode = ''",
    "INSERT INTO ty.t (id) VALUES (1)",
    "INSERT INTO ty.t VALUES (2, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, \
     4294967295, -9223372036854775808, 18446744073709551615, -2.25, 1.7976931348623157e308, \
     '-12345678901234567890123456789012345.123456789012345678901234567890', -99999999.99, \
     'ab', 'tab\there\nnew \\\\N \\N emoji 😀 \"q\" ,;', '\\N', 'ab', x'00ff0a09', x'', \
     '0000-00-00', '0000-00-00 00:00:00', '1970-01-01 00:00:01.000', '-838:59:59.000000', 0, \
     b'1010101010', 'c', 'x,z', '{\"b\": [1, 2.5, \"x\"], \"a\": null, \"n\": {\"k\": true}}', x'636166e9')",
    "INSERT INTO ty.t VALUES (3, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, \
     0, 1.5, -0.1, 0.000000000000000000000000000001, 0.01, '', '', '', x'61000000', x'000102', \
     x'deadbeef', '9999-12-31', '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.999', \
     '838:59:59.999999', 2155, b'0000000001', 'a', '', '[]', '')",
    "UPDATE ty.t SET vc = 'updated\ttab', j = '\"just a string\"' WHERE id = 3",
];
