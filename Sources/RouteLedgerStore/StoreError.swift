import Foundation
import RouteLedgerCore
import RouteLedgerJSON

/// Everything the event log can refuse or fail at, in words an operator can act on.
///
/// SQLite and PostgreSQL errors are mapped here at the engines' boundary; raw driver errors never leak upward.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input is not valid JSON (line or index, byte, reason). Nothing was stored.
    case syntax(DocumentError)
    /// An event breaks format v1 (line or index, field, reason). Nothing was stored.
    case invalidEvent(EventValidationError)
    /// An event reuses a stored id with other content. Nothing was stored.
    case conflict(id: String, storedSeq: Seq, location: DocumentLocation?)
    /// `--db` names no usable log location (a PostgreSQL URL that does not parse, say).
    case badLocation(String)
    /// No database file at the path (read commands never create one).
    case missingDatabase(path: String)
    /// The file is not a RouteLedger database.
    case notRouteLedger(path: String, reason: String)
    /// The database was written by a newer RouteLedger.
    case newerSchema(path: String, unknownMigrations: [String])
    /// The database is locked by another writer for longer than the busy timeout.
    case busy(path: String)
    /// Another RouteLedger writer held the writer lock for all of `waited` seconds; `holder` is who it said it
    /// was (pid, command, since when).
    case writerBusy(path: String, waited: TimeInterval, holder: String?)
    /// Any other failure of the database, in its words.
    case database(path: String, message: String)
    /// A stored event cannot be read back (the log is damaged; run `verify`).
    case corrupt(seq: Seq, reason: String)

    private static func seconds(_ value: TimeInterval) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    public var description: String {
        switch self {
        case .syntax(let error):
            return "invalid JSON: \(error)"
        case .invalidEvent(let error):
            return "invalid event: \(error)"
        case .conflict(let id, let storedSeq, let location):
            let at = location.map { "\($0): " } ?? ""
            return "\(at)event id \"\(id)\" is already stored at seq \(storedSeq) with a different type or data; nothing was appended"
        case .badLocation(let reason):
            return reason
        case .missingDatabase(let path) where path.hasPrefix("postgres://"):
            return "no RouteLedger log in \(path) yet (create it with `routeledger init` or `routeledger append`)"
        case .missingDatabase(let path):
            return "no database at \(path) (create it with `routeledger init` or `routeledger append`)"
        case .notRouteLedger(let path, let reason):
            return "\(path) is not a RouteLedger database: \(reason)"
        case .newerSchema(let path, let unknown):
            return "\(path) was written by a newer RouteLedger (unknown migrations: \(unknown.joined(separator: ", "))); upgrade routeledger to read it"
        case .busy(let path):
            return "\(path) is locked by another writer; try again"
        case .writerBusy(let path, let waited, let holder):
            let who = holder.map { "by \($0)" } ?? "by another writer"
            return "\(path) stayed locked \(who) for the \(Self.seconds(waited)) this writer waited (--lock-timeout); nothing was written"
        case .database(let path, let message):
            return "\(path): \(message)"
        case .corrupt(let seq, let reason):
            return "stored event seq \(seq) cannot be read: \(reason) (run `routeledger verify`)"
        }
    }
}

extension StoreError {
    /// The errors the log itself raises on its way to or from an engine (bad input, refusals), as they are;
    /// nil for a driver's error, which each engine maps in its own words.
    static func fromLog(_ error: any Error) -> StoreError? {
        switch error {
        case let error as StoreError: return error
        case let error as DocumentError: return .syntax(error)
        case let error as EventValidationError: return .invalidEvent(error)
        default: return nil
        }
    }
}
