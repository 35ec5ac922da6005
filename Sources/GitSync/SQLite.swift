internal import CSQLite
import Foundation

/// An error from SQLite, with the statement or operation that failed.
struct SQLiteError: Error, CustomStringConvertible {
    /// The SQLite result code (`SQLITE_BUSY`, `SQLITE_CORRUPT`, ...).
    let code: Int32
    let message: String
    let operation: String

    var description: String { "\(operation): \(message)" }

    /// `SQLITE_BUSY`: another process holds the lock longer than the busy timeout.
    var isBusy: Bool { code & 0xff == SQLITE_BUSY }
    /// `SQLITE_CORRUPT` or `SQLITE_NOTADB`: the file is damaged or not a database.
    var isCorrupt: Bool { code & 0xff == SQLITE_CORRUPT || code & 0xff == SQLITE_NOTADB }
    /// `SQLITE_FULL`: the disk is full.
    var isDiskFull: Bool { code & 0xff == SQLITE_FULL }
    /// `SQLITE_IOERR`: reading or writing the file failed (a full disk may show as this too).
    var isIOError: Bool { code & 0xff == SQLITE_IOERR }
}

/// One SQLite database connection (`sqlite3`), owned and closed once in `deinit`.
///
/// Not Sendable: a connection is used by one task at a time.
final class SQLiteDatabase {
    private let handle: OpaquePointer

    /// Opens (and creates, when `create` is true) the database file at `path`.
    init(path: String, create: Bool, busyTimeout: Duration = .seconds(5)) throws(SQLiteError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw SQLiteError(code: result, message: message, operation: "open")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        let (seconds, attoseconds) = busyTimeout.components
        sqlite3_busy_timeout(handle, Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs statements that return no rows.
    func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard result == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: result, message: message, operation: Self.abbreviate(sql))
        }
    }

    /// Prepares one statement with `?` placeholders bound to `values`.
    func prepare(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteStatement {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil), Self.abbreviate(sql))
        guard let statement else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", operation: Self.abbreviate(sql))
        }
        let prepared = SQLiteStatement(statement, database: self, sql: sql)
        try prepared.bind(values)
        return prepared
    }

    /// Runs one statement that returns no rows.
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) {
        let statement = try prepare(sql, values)
        while try statement.step() {}
    }

    /// The rows of a query, each read by `row`.
    func query<Row>(
        _ sql: String,
        _ values: [SQLiteValue] = [],
        row: (SQLiteStatement) throws(SQLiteError) -> Row
    ) throws(SQLiteError) -> [Row] {
        let statement = try prepare(sql, values)
        var rows: [Row] = []
        while try statement.step() {
            rows.append(try row(statement))
        }
        return rows
    }

    /// Runs `body` in a transaction that takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// that two processes never interleave their writes; rolls back when `body` throws.
    func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The number of rows the last statement changed (`sqlite3_changes`).
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Throws for any result but success, naming the operation (worked out only on failure).
    func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(SQLiteError) {
        guard result == SQLITE_OK || result == SQLITE_ROW || result == SQLITE_DONE else {
            throw SQLiteError(code: result, message: String(cString: sqlite3_errmsg(handle)), operation: operation())
        }
    }

    private static func abbreviate(_ sql: String) -> String {
        let line = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return line.count > 60 ? String(line.prefix(60)) + "…" : line
    }
}

@available(*, unavailable, message: "a database connection is used by one task at a time")
extension SQLiteDatabase: Sendable {}

/// A value bound to a statement placeholder.
enum SQLiteValue {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    static func optional(_ value: Int64?) -> SQLiteValue { value.map(SQLiteValue.integer) ?? .null }
    static func optional(_ value: String?) -> SQLiteValue { value.map(SQLiteValue.text) ?? .null }
}

/// A prepared statement (`sqlite3_stmt`), finalized in `deinit`.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let database: SQLiteDatabase
    private let sql: String

    fileprivate init(_ handle: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // SQLite copies bound text at once with this destructor value (SQLITE_TRANSIENT).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32 =
                switch value {
                case .integer(let number): sqlite3_bind_int64(handle, index, number)
                case .real(let number): sqlite3_bind_double(handle, index, number)
                case .text(let text): sqlite3_bind_text(handle, index, text, -1, Self.transient)
                case .null: sqlite3_bind_null(handle, index)
                }
            try database.check(result, "bind")
        }
    }

    /// Resets the statement and binds new values, to run it again.
    func rebind(_ values: [SQLiteValue]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        try bind(values)
    }

    /// Advances to the next row; false when the statement is done.
    func step() throws(SQLiteError) -> Bool {
        let result = sqlite3_step(handle)
        try database.check(result, sql.split(whereSeparator: \.isWhitespace).prefix(6).joined(separator: " "))
        return result == SQLITE_ROW
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func optionalInt(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: bytes)
    }
}

@available(*, unavailable, message: "a statement belongs to its connection's task")
extension SQLiteStatement: Sendable {}
