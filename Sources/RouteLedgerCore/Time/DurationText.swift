/// Durations as operators write them: `0`, `500ms`, `2s`, `1.5m`, `1h`.
public enum DurationText {
    /// The nanoseconds `text` stands for; nil when it is not a duration.
    public static func nanoseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
        if text == "0" { return 0 }
        for (unit, scale) in units where text.hasSuffix(unit) {
            guard let value = Double(text.dropLast(unit.count)), value >= 0, value < 1e6 else { return nil }
            return Int64((value * Double(scale)).rounded())
        }
        return nil
    }

    /// The `Duration` `text` stands for; nil when it is not a duration.
    public static func duration(_ text: String) -> Duration? {
        nanoseconds(text).map { .nanoseconds($0) }
    }

    /// Roughly, in the two largest units: `2d 5h`, `5h 53m`, `53m 54s`, `2.5s`, `350ms`.
    public static func approximate(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(seconds % 60)s" }
        if nanoseconds >= 1_000_000_000 { return "\((Double(nanoseconds) / 1e8).rounded() / 10)s" }
        return "\(nanoseconds / 1_000_000)ms"
    }

    /// `0`, `2s` or `500ms`.
    public static func format(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0" }
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        return "\(nanoseconds / 1_000_000)ms"
    }
}
