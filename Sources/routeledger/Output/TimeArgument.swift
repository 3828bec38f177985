import RouteLedgerCore
import RouteLedgerStore

/// A time as an option takes it: RFC 3339 (`2026-11-27T03:12:00Z`), or a duration meaning that long before
/// now (`15m`, `2h`, `90s`), as an operator asks about "the last quarter of an hour".
enum TimeArgument {
    /// The time `text` names; nil when it is neither form.
    static func parse(_ text: String, now: Timestamp = EventLog.systemClock()) -> Timestamp? {
        if let time = Timestamp(rfc3339: text) { return time }
        guard text != "0", let ago = DurationText.nanoseconds(text) else { return nil }
        return Timestamp(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch - ago)
    }

    /// What a validation error says about a value that is neither.
    static func problem(_ option: String, _ text: String) -> String {
        "\(option) \"\(text)\" is not an RFC 3339 time (e.g. 2026-11-27T10:00:03Z) or a duration ago (e.g. 15m, 2h)"
    }
}
