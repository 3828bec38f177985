import Foundation
import RouteLedgerCore

/// Reads and decodes stored events on a second thread, in blocks, while the caller folds the blocks before
/// them: a rebuild's reading and decoding overlaps its projection (figures: docs/BENCHMARKS.md, "three
/// stages").
///
/// The reader uses a connection of its own (a consistent snapshot). A writer that holds the
/// write lock and passes `through` = the last seq it sees gets exactly those events, since nobody else can
/// append while it holds the lock. Blocks arrive in order; an error arrives after every block before it.
final class ReplayPipeline: @unchecked Sendable {
    enum Item {
        case events([RecordedEvent])
        case failed(any Error)
        case end
    }

    static let blockSize = 512
    private static let capacity = 8

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var cancelled = false
    private var finished = false

    /// Starts reading the events after `first` through `last` on a new thread.
    init(engine: any StorageEngine, after first: Seq, through last: Seq) {
        let thread = Thread { [self] in
            produce(engine: engine, first: first, last: last)
        }
        thread.name = "routeledger.replay"
        thread.start()
    }

    /// The next item, waiting for the reader if needed.
    func next() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let item = queue.removeFirst()
        condition.broadcast()
        return item
    }

    /// Stops the reader (if still running) and waits until its thread has let go of its connection.
    func close() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func produce(engine: any StorageEngine, first: Seq, last: Seq) {
        do {
            try engine.read { connection in
                var block: [RecordedEvent] = []
                block.reserveCapacity(Self.blockSize)
                try connection.forEach("SELECT \(recordedEventColumns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",
                                       [.integer(first), .integer(last)]) { row in
                    block.append(try EventLog.recordedEvent(row))
                    if block.count == Self.blockSize {
                        guard put(.events(block)) else { throw CancellationError() }
                        block.removeAll(keepingCapacity: true)
                    }
                }
                if !block.isEmpty { _ = put(.events(block)) }
            }
            _ = put(.end)
        } catch is CancellationError {
        } catch {
            _ = put(.failed(engine.map(error)))
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Queues `item`, waiting while the queue is full; false once the consumer has closed the pipeline.
    private func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        queue.append(item)
        condition.broadcast()
        return true
    }
}
