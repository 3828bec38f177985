import Foundation
import RouteLedgerCore

/// Makes the writers of one database wait their turn: an exclusive `flock` on `DATABASE.lock`, taken before
/// `BEGIN IMMEDIATE` and held until the transaction ends.
///
/// SQLite's own busy handler retries with sleeps, is not fair, and gave up after its 5 s timeout with four
/// concurrent 2,000-event appends. A writer here waits up to `timeout` (minutes by default), checking every
/// few milliseconds; the holder writes who it is into the file, so a writer that gives up can name it. The
/// kernel releases the lock when its process dies, whatever the text says. Within a process a mutex comes
/// first: `flock` locks belong to the open file, which every thread of one `EventLog` shares.
final class WriterLock: @unchecked Sendable {
    /// `DATABASE.lock`, beside the database.
    let path: String
    /// How long a writer waits for its turn, in seconds.
    let timeout: TimeInterval
    private let mutex = NSLock()
    private let descriptor: Int32

    /// Opens (creating) the lock file beside `database`.
    init(database: String, timeout: TimeInterval) throws {
        path = database + ".lock"
        self.timeout = timeout
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StoreError.database(path: database, message: "cannot open the writer lock \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// Runs `body` holding the lock.
    func withLock<T>(_ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        guard mutex.lock(before: deadline) else { throw timedOut() }
        defer { mutex.unlock() }
        var pause: UInt32 = 1_000
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw StoreError.database(path: path, message: "cannot take the writer lock: \(String(cString: strerror(errno)))")
            }
            guard Date() < deadline else { throw timedOut() }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        defer {
            ftruncate(descriptor, 0)  // no stale name for the next waiter to blame
            flock(descriptor, LOCK_UN)
        }
        announce()
        return try body()
    }

    /// Writes who holds the lock into the file (for a writer that gives up waiting).
    private func announce() {
        let text = "pid \(getpid()) (\(ProcessInfo.processInfo.arguments.prefix(2).map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " "))) since \(EventLog.systemClock().rfc3339)\n"
        ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    private func timedOut() -> StoreError {
        let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return .writerBusy(path: String(path.dropLast(".lock".count)), waited: timeout, holder: holder?.isEmpty == false ? holder : nil)
    }
}
