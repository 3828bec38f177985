/// An instant in cluster time, in nanoseconds since 1970-01-01T00:00:00Z (UTC).
///
/// Parsing accepts `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with years 1678–2261 (so the nanosecond count
/// cannot overflow `Int64`). A leap second (`:60`) is rejected: the instant has no place on a POSIX time line.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z, negative before it.
    public var nanosecondsSinceEpoch: Int64

    /// Creates the instant `nanosecondsSinceEpoch` nanoseconds after the Unix epoch.
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Parses RFC 3339 ("2026-11-27T10:00:03.5Z", "2026-11-27T12:00:03+02:00", lowercase t/z accepted, 1–9 fraction digits); nil when invalid.
    public init?(rfc3339: some StringProtocol) {
        self.init(rfc3339Bytes: rfc3339.utf8)
    }

    /// Same, over UTF-8 bytes (the hot path).
    public init?(rfc3339Bytes: some Collection<UInt8>) {
        let parsed = rfc3339Bytes.withContiguousStorageIfAvailable { Timestamp.parse($0) }
        guard let nanoseconds = parsed ?? Array(rfc3339Bytes).withUnsafeBufferPointer({ Timestamp.parse($0) }) else {
            return nil
        }
        self.nanosecondsSinceEpoch = nanoseconds
    }

    /// Whether `a` is earlier than `b`.
    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        a.nanosecondsSinceEpoch < b.nanosecondsSinceEpoch
    }

    /// UTC, `Z`, fractional seconds with the fewest digits needed (none when zero), e.g. "2026-11-27T10:00:03.5Z".
    public var rfc3339: String {
        let nanos = nanosecondsSinceEpoch
        var seconds = nanos / 1_000_000_000
        var fraction = nanos % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        let (year, month, day) = Timestamp.civil(fromDays: days)
        return String(unsafeUninitializedCapacity: 30) { out in
            var o = 0
            func put(_ value: Int64, digits: Int) {
                var v = value
                for i in stride(from: digits - 1, through: 0, by: -1) {
                    out[o + i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
                o += digits
            }
            func put(_ byte: Unicode.Scalar) {
                out[o] = UInt8(ascii: byte)
                o += 1
            }
            put(year, digits: 4); put("-"); put(month, digits: 2); put("-"); put(day, digits: 2)
            put("T")
            put(secondOfDay / 3600, digits: 2); put(":"); put(secondOfDay / 60 % 60, digits: 2); put(":")
            put(secondOfDay % 60, digits: 2)
            if fraction != 0 {
                var digits = 9
                while fraction % 10 == 0 {
                    fraction /= 10
                    digits -= 1
                }
                put(".")
                put(fraction, digits: digits)
            }
            put("Z")
            return o
        }
    }

    /// The same as ``rfc3339``.
    public var description: String { rfc3339 }

    // MARK: - Parsing

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        // YYYY-MM-DDTHH:MM:SS is 19 bytes; the shortest valid input adds a `Z`.
        let n = b.count
        guard n >= 20,
              b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] | 0x20 == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = digits(b, 0, 4), let month = digits(b, 5, 2), let day = digits(b, 8, 2),
              let hour = digits(b, 11, 2), let minute = digits(b, 14, 2), let second = digits(b, 17, 2)
        else { return nil }
        guard year >= 1678 && year <= 2261, month >= 1 && month <= 12, day >= 1 && day <= daysIn(month, of: year),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        var i = 19
        var fraction: Int64 = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < n && b[i] &- UInt8(ascii: "0") < 10 {
                guard i - fractionStart < 9 else { return nil }
                fraction = fraction * 10 + Int64(b[i] - UInt8(ascii: "0"))
                i += 1
            }
            let fractionDigits = i - fractionStart
            guard fractionDigits >= 1 else { return nil }
            for _ in fractionDigits..<9 { fraction *= 10 }
        }
        guard i < n else { return nil }
        var offsetSeconds: Int64 = 0
        if b[i] | 0x20 == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard n - i == 6, b[i + 3] == UInt8(ascii: ":"),
                  let offsetHour = digits(b, i + 1, 2), let offsetMinute = digits(b, i + 4, 2),
                  offsetHour <= 23, offsetMinute <= 59 else { return nil }
            offsetSeconds = offsetHour * 3600 + offsetMinute * 60
            if b[i] == UInt8(ascii: "-") { offsetSeconds = -offsetSeconds }
            i += 6
        } else {
            return nil
        }
        guard i == n else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * 1_000_000_000 + fraction
    }

    /// The value of `count` ASCII digits at `start`, or nil when any is not a digit.
    @inline(__always)
    private static func digits(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int64? {
        var value: Int64 = 0
        for i in start..<start + count {
            let digit = b[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }

    private static func daysIn(_ month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
