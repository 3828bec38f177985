import Foundation

/// Turns SIGINT and SIGTERM into a call (a graceful stop); a second signal exits at once.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], onFirst: @escaping @Sendable () -> Void) {
        // One serial queue runs every handler, so the count needs no lock of its own.
        let queue = DispatchQueue(label: "routeledger.signals")
        let received = SignalCount()
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                // The first signal asks for a stop; another one while stopping means "now".
                received.value += 1
                if received.value == 1 {
                    onFirst()
                } else {
                    Foundation.exit(128 + number)
                }
            }
            source.resume()
            return source
        }
    }

    /// Stops trapping.
    func release() {
        for source in sources { source.cancel() }
    }
}

/// Signals received so far; touched only on the trap's serial queue.
private final class SignalCount: @unchecked Sendable {
    var value = 0
}
