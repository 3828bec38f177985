import GRDB
import GRDBSQLite

/// A prepared statement on GRDB's own connection, driven through the SQLite C API.
///
/// Used on the append hot path only, where GRDB's argument boxing costs more than the insert itself.
/// Lives inside one GRDB write closure; never escapes it.
final class RawStatement {
    private let connection: OpaquePointer
    private let handle: OpaquePointer

    init(_ db: Database, _ sql: String) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection closed") }
        self.connection = connection
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        handle = statement
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }

    func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    /// Binds text; SQLite copies it, so the buffer may go away before `step`.
    func bind(_ index: Int32, text bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress, bytes.count > 0 {
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), SQLITE_TRANSIENT)
        } else {
            sqlite3_bind_text(handle, index, "", 0, SQLITE_TRANSIENT)
        }
    }

    func bind(_ index: Int32, text: [UInt8]) { text.withUnsafeBytes { bind(index, text: $0) } }

    func bind(_ index: Int32, text: String) {
        var text = text
        text.withUTF8 { bind(index, text: UnsafeRawBufferPointer($0)) }
    }

    func bind(_ index: Int32, blob: [UInt8]) {
        _ = blob.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
    }

    /// Runs the statement to completion and resets it; returns SQLite's (extended) result code.
    func run() -> Int32 {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        return code == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(connection)
    }

    func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
    }
}

/// SQLite's "copy this buffer" destructor, which the C macro expresses as `(sqlite3_destructor_type)-1`.
private let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
