import Foundation
import Logging
import PostgresNIO

extension PostgresEngine {
    /// The channel every append notifies at commit (migration `v7-notifyAppended`).
    static let appendChannel = "routeledger_appended"

    /// Starts listening for appends on a connection of its own, until the listener is stopped.
    func listen(logger: Logger) -> AppendListener? {
        let listener = AppendListener()
        let connections = connections
        Task {
            var delay: Duration = .milliseconds(100)
            var listenedBefore = false
            while !listener.isStopped {
                do {
                    let connection = try await connections.connect(role: "listener")
                    defer { connections.release(connection) }
                    try await connection.listen(on: Self.appendChannel) { notifications in
                        listener.listening(again: listenedBefore)
                        listenedBefore = true
                        delay = .milliseconds(100)
                        for try await _ in notifications {
                            if listener.isStopped { return }
                            listener.notified()
                        }
                    }
                } catch {
                    if !listener.isStopped {
                        logger.warning("listening for appends failed; polling until it listens again",
                                       metadata: ["database": "\(location)", "error": "\(String(describing: error).prefix(300))"])
                    }
                }
                listener.lost()
                if listener.isStopped { break }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        return listener
    }
}
