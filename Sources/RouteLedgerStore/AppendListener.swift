import Synchronization

/// Tells a reader that the log may have grown, the moment another process's append commits: PostgreSQL's
/// LISTEN/NOTIFY on a connection of its own (every append notifies at commit, through a trigger on
/// `events`, whichever process or host makes it).
///
/// When the connection drops (the server restarted, the backend was terminated), the listener reconnects
/// with backoff and signals once it listens again, so its reader compares the head and misses nothing that
/// was appended meanwhile. While it does not listen, a reader polls. SQLite has no listener: its readers poll.
public final class AppendListener: Sendable {
    /// One element per wake-up (coalesced: a reader that is busy gets one more, not one per append).
    public let signals: AsyncStream<Void>

    private struct State {
        var listening = false
        var reconnects = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (signals, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether it listens now.
    public var isListening: Bool { state.withLock { $0.listening } }

    /// How many times it has listened again after losing its connection.
    public var reconnects: Int { state.withLock { $0.reconnects } }

    /// Ends the signals; the listening task ends at its next step.
    public func stop() {
        state.withLock { $0.stopped = true }
        continuation.finish()
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// It listens (again, when `again`): the reader should compare the head now.
    func listening(again: Bool) {
        state.withLock {
            $0.listening = true
            if again { $0.reconnects += 1 }
        }
        continuation.yield()
    }

    /// Something was appended.
    func notified() { continuation.yield() }

    /// The connection is gone: `isListening` is false until it listens again, and readers poll meanwhile.
    func lost() { state.withLock { $0.listening = false } }
}

extension EventLog {
    /// Starts listening for appends by other processes (PostgreSQL); nil on SQLite, whose readers poll.
    public func listenForAppends() -> AppendListener? { engine.listen(logger: logger) }
}
