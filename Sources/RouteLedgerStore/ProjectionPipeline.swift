import Foundation
import RouteLedgerCore

/// Runs the reload projection of a large append on a second thread, over the events the writer has just
/// stored, while the writer decodes and stores the next ones.
///
/// The writer sends each block of stored events (with their real positions and log times, so duplicates,
/// which are not stored, never reach the projection) and inserts the reload rows and snapshots that come
/// back in the same transaction. Reloads and snapshots are derived rows in their own tables, so writing
/// them a few blocks after their events changes nothing a reader can see: the transaction commits all or
/// nothing. The projection is about half of a large append's work and decoding plus storing the other
/// half, which is why this split, and not decoding ahead, balances two cores (docs/BENCHMARKS.md).
final class ProjectionPipeline: @unchecked Sendable {
    /// What the projection made of one block of stored events.
    struct Output {
        var rows: [ReloadRow] = []
        var snapshots: [(seq: Seq, bytes: [UInt8])] = []
    }

    /// Small blocks: at the end of an append the writer waits for the last block's projection.
    static let blockSize = 32
    private static let capacity = 64

    private let condition = NSCondition()
    private var inbox: [[RecordedEvent]] = []
    private var outbox: [Output] = []
    private var closedForInput = false
    private var cancelled = false
    private var finished = false
    private var projection: ReloadProjection
    private let snapshotEvery: Seq
    private var lastSnapshot: Seq

    /// Starts the projection thread from `projection`; snapshots follow `snapshotEvery`, the newest stored
    /// one being at `lastSnapshot`.
    init(projection: ReloadProjection, snapshotEvery: Seq, lastSnapshot: Seq) {
        self.projection = projection
        self.snapshotEvery = snapshotEvery
        self.lastSnapshot = lastSnapshot
        let thread = Thread { [self] in run() }
        thread.name = "routeledger.project"
        thread.start()
    }

    /// Hands over a block of stored events, waiting while the projection is `capacity` blocks behind.
    func submit(_ events: [RecordedEvent]) {
        guard !events.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        while inbox.count >= Self.capacity && !cancelled { condition.wait() }
        inbox.append(events)
        condition.broadcast()
    }

    /// The outputs ready so far, without waiting.
    func ready() -> [Output] {
        condition.lock()
        defer { condition.unlock() }
        let outputs = outbox
        outbox.removeAll()
        return outputs
    }

    /// Waits until every submitted block is projected; returns the remaining outputs and the projection
    /// after the last event.
    func finish() -> ([Output], ReloadProjection) {
        condition.lock()
        defer { condition.unlock() }
        closedForInput = true
        condition.broadcast()
        while !finished { condition.wait() }
        let outputs = outbox
        outbox.removeAll()
        return (outputs, projection)
    }

    /// Stops the thread (when the append fails) and waits until it has let go of everything.
    func close() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        var projection = takeProjection()
        while let block = nextBlock() {
            var output = Output()
            for event in block {
                output.rows += projection.apply(event).reloads.map(ReloadRow.init)
                if event.seq - lastSnapshot >= snapshotEvery, let bytes = projection.snapshot() {
                    output.snapshots.append((event.seq, bytes))
                    lastSnapshot = event.seq
                }
            }
            condition.lock()
            outbox.append(output)
            condition.unlock()
        }
        condition.lock()
        self.projection = projection
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The projection, moved out of the shared field so that the thread mutates the only copy.
    private func takeProjection() -> ReloadProjection {
        condition.lock()
        defer { condition.unlock() }
        let taken = projection
        projection = ReloadProjection(settings: taken.settings, tracksEffects: false)
        return taken
    }

    /// The next block, or nil once the input is closed and drained (or the pipeline cancelled).
    private func nextBlock() -> [RecordedEvent]? {
        condition.lock()
        defer { condition.unlock() }
        while inbox.isEmpty && !closedForInput && !cancelled { condition.wait() }
        if cancelled || inbox.isEmpty { return nil }
        let block = inbox.removeFirst()
        condition.broadcast()
        return block
    }
}
