import Foundation

/// How long a test waits for something that must happen before it calls it a hang.
///
/// Not a timing claim. Swift Testing starts the tests of a run together, and on CI's loaded 2-core machine
/// they share the cooperative pool's 2 threads: a step that takes milliseconds alone can wait behind the
/// rest of the run (a whole run takes about a minute there). The bound is well above a whole run, so only
/// a hang reaches it; a test that must show something is *prompt* compares with a much longer interval
/// (an hour), not with a few seconds.
public enum Patience {
    /// The bound, in seconds.
    public static let seconds: Double = 180

    /// The bound as a duration.
    public static var duration: Duration { .seconds(seconds) }

    /// Waits until `condition` holds, checking every 20 ms, for at most `seconds`; returns whether it held.
    public static func wait(upTo seconds: Double = Patience.seconds, until condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
