import RouteLedgerCore

/// Byte-level JSON writing helpers: appending to `[UInt8]` without Foundation or string interpolation.
extension Array where Element == UInt8 {
    /// Appends the bytes of a literal as they are (for JSON punctuation and names that need no escaping).
    @inline(__always)
    mutating func appendRaw(_ text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends `value` in decimal.
    @inline(__always)
    mutating func appendDecimal(_ value: Int) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(UInt64(value.magnitude))
        } else {
            appendDecimal(UInt64(value))
        }
    }

    /// Appends `value` in decimal.
    mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            append(48 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        let start = count
        var rest = value
        while rest > 0 {
            append(48 &+ UInt8(truncatingIfNeeded: rest % 10))
            rest /= 10
        }
        self[start...].reverse()
    }

    /// Appends `value` in decimal with at least `width` digits (zero padded).
    @inline(__always)
    mutating func appendPadded(_ value: Int, width: Int) {
        var digits = 1
        var limit = 10
        while value >= limit && digits < 19 { digits += 1; limit &*= 10 }
        if digits < width { append(contentsOf: repeatElement(UInt8(48), count: width - digits)) }
        appendDecimal(value)
    }

    /// Appends `value` modulo 36^`width` as exactly `width` lowercase base-36 digits.
    @inline(__always)
    mutating func appendBase36(_ value: UInt64, width: Int) {
        let start = count
        var rest = value
        for _ in 0..<width {
            let digit = UInt8(truncatingIfNeeded: rest % 36)
            append(digit < 10 ? 48 &+ digit : 87 &+ digit)
            rest /= 36
        }
        self[start...].reverse()
    }

    /// Appends `text` as a JSON string literal (with its quotes), escaping what JSON requires.
    mutating func appendJSONString(_ text: String) {
        append(UInt8(ascii: "\""))
        let done: Bool? = text.utf8.withContiguousStorageIfAvailable { buffer in
            for byte in buffer where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            self.append(contentsOf: buffer)
            return true
        }
        if done != true {
            for byte in text.utf8 { appendEscaped(byte) }
        }
        append(UInt8(ascii: "\""))
    }

    /// Appends one byte of a JSON string body, escaped when JSON requires it.
    @inline(__always)
    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x08: append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
        case 0x0C: append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
        case 0x00..<0x20:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        default: append(byte)
        }
    }
}

/// The simulated wall clock: a UTC day plus milliseconds into it, printed as RFC 3339 (`2026-11-27T10:00:03.500Z`).
struct SimClock: Sendable {
    /// Days since 1970-01-01.
    private(set) var day: Int
    /// Milliseconds since midnight UTC.
    private(set) var millisecondOfDay: Int
    /// `YYYY-MM-DDT` for `day`, cached because it changes once a simulated day.
    private var datePrefix: [UInt8]

    /// Starts at `start` (whole milliseconds are kept).
    init(start: Timestamp) {
        let milliseconds = Int(start.nanosecondsSinceEpoch / 1_000_000)
        day = milliseconds / 86_400_000
        millisecondOfDay = milliseconds % 86_400_000
        datePrefix = SimClock.datePrefix(day)
    }

    /// Moves the clock forward by `milliseconds` (never backwards).
    @inline(__always)
    mutating func advance(milliseconds: Int) {
        millisecondOfDay += max(0, milliseconds)
        if millisecondOfDay >= 86_400_000 {
            day += millisecondOfDay / 86_400_000
            millisecondOfDay %= 86_400_000
            datePrefix = SimClock.datePrefix(day)
        }
    }

    /// Appends the current time in RFC 3339 UTC form with milliseconds.
    @inline(__always)
    func write(into out: inout [UInt8]) {
        out.append(contentsOf: datePrefix)
        let ms = millisecondOfDay
        let seconds = ms / 1000
        let hour = seconds / 3600
        let minute = (seconds / 60) % 60
        let second = seconds % 60
        let fraction = ms % 1000
        out.append(48 &+ UInt8(truncatingIfNeeded: hour / 10))
        out.append(48 &+ UInt8(truncatingIfNeeded: hour % 10))
        out.append(UInt8(ascii: ":"))
        out.append(48 &+ UInt8(truncatingIfNeeded: minute / 10))
        out.append(48 &+ UInt8(truncatingIfNeeded: minute % 10))
        out.append(UInt8(ascii: ":"))
        out.append(48 &+ UInt8(truncatingIfNeeded: second / 10))
        out.append(48 &+ UInt8(truncatingIfNeeded: second % 10))
        out.append(UInt8(ascii: "."))
        out.append(48 &+ UInt8(truncatingIfNeeded: fraction / 100))
        out.append(48 &+ UInt8(truncatingIfNeeded: (fraction / 10) % 10))
        out.append(48 &+ UInt8(truncatingIfNeeded: fraction % 10))
        out.append(UInt8(ascii: "Z"))
    }

    /// `YYYY-MM-DDT` for a day count since 1970-01-01, from the core's RFC 3339 formatting.
    static func datePrefix(_ days: Int) -> [UInt8] {
        Array(Timestamp(nanosecondsSinceEpoch: Int64(days) * 86_400_000_000_000).rfc3339.utf8.prefix(11))
    }
}
