import NIOCore
import Synchronization

/// Answers that are a function of a log position, kept for the positions asked last: the routing at a
/// point never changes once the log holds it, so the readers of the routing "now" share one computation
/// until the next append moves "now". Readers that ask while it is being computed wait for that one
/// computation instead of starting their own.
final class AnswerCache: Sendable {
    struct Key: Hashable, Sendable {
        var seq: Int64
        var variant: String
    }

    private let entries = Mutex<[(key: Key, answer: Task<ByteBuffer, any Error>)]>([])
    private let capacity: Int

    init(capacity: Int = 16) { self.capacity = capacity }

    /// The answer for `key`, computed by `make` once.
    func answer(_ key: Key, _ make: @escaping @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        let task = entries.withLock { list -> Task<ByteBuffer, any Error> in
            if let kept = list.first(where: { $0.key == key }) { return kept.answer }
            let task = Task { try await make() }
            list.append((key, task))
            if list.count > capacity { list.removeFirst(list.count - capacity) }
            return task
        }
        do {
            return try await task.value
        } catch {
            // A failure is not kept: the next reader tries again.
            entries.withLock { list in list.removeAll { $0.key == key } }
            throw error
        }
    }
}
