import Foundation
import RouteLedgerCore

/// Decodes an input's events on a second thread, in blocks, while the writer stores the blocks before them.
///
/// Decoding and storing each take about half of an append; overlapping them is what lets a large append run
/// at more than the sum of its parts on a machine with a free core. Order is kept: blocks arrive in input
/// order, and a decoding error arrives after every block before it, so the first bad event is the one reported.
final class DecodePipeline: @unchecked Sendable {
    enum Item: Sendable {
        case events([IncomingEvent])
        case failed(any Error)
        case end
    }

    static let blockSize = 256
    /// The first block is small, so that the writer starts storing soon after the decoder starts.
    private static let firstBlockSize = 32
    private static let capacity = 8

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var cancelled = false
    private var finished = false

    /// Starts decoding `bytes` on a new thread.
    init(_ bytes: [UInt8]) {
        let thread = Thread { [self] in
            produce(bytes)
        }
        thread.name = "routeledger.decode"
        thread.start()
    }

    /// The next item, waiting for the decoder if needed.
    func next() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let item = queue.removeFirst()
        condition.broadcast()
        return item
    }

    /// Stops the decoder (if still running) and waits until its thread has let go of everything.
    func close() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func produce(_ bytes: [UInt8]) {
        var block: [IncomingEvent] = []
        block.reserveCapacity(Self.blockSize)
        var limit = Self.firstBlockSize
        do {
            try bytes.withUnsafeBytes { buffer in
                try JSONParser.forEachDocument(in: buffer, reading: { reader, location in
                    block.append(try EventDecoder.decode(&reader, at: location))
                    if block.count == limit {
                        limit = Self.blockSize
                        guard put(.events(block)) else { throw CancellationError() }
                        block.removeAll(keepingCapacity: true)
                    }
                })
            }
            if !block.isEmpty { _ = put(.events(block)) }
            _ = put(.end)
        } catch is CancellationError {
        } catch {
            _ = put(.failed(error))
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Queues an item, waiting while the queue is full; false once the consumer has gone.
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
