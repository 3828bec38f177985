import Testing
@testable import RouteLedgerCore

@Suite struct TimestampTests {
    // Known answers verified with Python's datetime and GNU date.
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-27T10:00:03.5Z", 1_795_773_603_500_000_000),
        ("2026-11-27T12:00:03.5+02:00", 1_795_773_603_500_000_000),
        ("2026-11-27T05:30:03.5-04:30", 1_795_773_603_500_000_000),
        ("2026-11-27t10:00:03.500z", 1_795_773_603_500_000_000),
        ("2026-11-27T10:00:03.5-00:00", 1_795_773_603_500_000_000),
        ("1970-01-01T00:00:00.000000001Z", 1),
        ("1969-12-31T23:59:59.999999999Z", -1),
        ("1970-01-01T23:59:59.999999999Z", 86_399_999_999_999),
        ("1970-01-01T00:00:00+23:59", -86_340_000_000_000),
        ("1970-01-01T00:00:00-23:59", 86_340_000_000_000),
        ("2009-02-13T23:31:30.123456789Z", 1_234_567_890_123_456_789),
        ("1930-11-18T00:28:29.876543211Z", -1_234_567_890_123_456_789),
        ("2024-02-29T12:00:00Z", 1_709_208_000_000_000_000),
        ("2000-02-29T00:00:00.000000001Z", 951_782_400_000_000_001),
        ("2000-03-01T00:00:00Z", 951_868_800_000_000_000),
        ("1900-03-01T00:00:00Z", -2_203_891_200_000_000_000),
        ("1678-01-01T00:00:00Z", -9_214_560_000_000_000_000),
        ("1678-01-01T00:00:00+23:59", -9_214_646_340_000_000_000),
        ("2261-12-31T23:59:59.999999999Z", 9_214_646_399_999_999_999),
        ("2261-12-31T23:59:59.999999999-23:59", 9_214_732_739_999_999_999),
    ] as [(String, Int64)])
    func parsesKnownInstants(text: String, nanoseconds: Int64) {
        #expect(Timestamp(rfc3339: text)?.nanosecondsSinceEpoch == nanoseconds)
        #expect(Timestamp(rfc3339Bytes: Array(text.utf8))?.nanosecondsSinceEpoch == nanoseconds)
    }

    @Test(arguments: [
        (".1", Int64(100_000_000)), (".12", 120_000_000), (".123", 123_000_000), (".1234", 123_400_000),
        (".12345", 123_450_000), (".123456", 123_456_000), (".1234567", 123_456_700), (".12345678", 123_456_780),
        (".123456789", 123_456_789), (".000000001", 1), (".000000000", 0), (".9", 900_000_000),
    ] as [(String, Int64)])
    func parsesOneToNineFractionDigits(fraction: String, nanoseconds: Int64) {
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00\(fraction)Z")?.nanosecondsSinceEpoch == nanoseconds)
    }

    @Test(arguments: [
        "2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "1996-02-29T23:59:59Z", "1804-02-29T00:00:00Z", "2260-02-29T00:00:00Z",
        "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z", "2026-12-31T23:59:59Z",
        "2026-02-28T00:00:00Z", "2026-11-27T23:59:59.999999999Z",
    ])
    func acceptsValidCalendarDates(text: String) {
        #expect(Timestamp(rfc3339: text) != nil, "\(text)")
    }

    @Test(arguments: [
        "",
        "2026-11-27",
        "2026-11-27T10:00:03",             // no offset
        "2026-11-27T10:00Z",               // no seconds
        "2026-11-27 10:00:03Z",            // space separator
        "2026-11-27X10:00:03Z",
        "2026-02-29T00:00:00Z",            // not a leap year
        "2100-02-29T00:00:00Z",
        "2261-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-06-31T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-13-10T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z",
        "2026-11-27T24:00:00Z",
        "2026-11-27T10:60:00Z",
        "2026-11-27T10:00:60Z",            // leap seconds are rejected
        "2026-11-27T10:00:61Z",
        "2026-11-27T10:00:03.Z",           // fraction needs a digit
        "2026-11-27T10:00:03.1234567890Z", // at most 9 fraction digits
        "2026-11-27T10:00:03,5Z",
        "2026-11-27T10:00:03+24:00",
        "2026-11-27T10:00:03+02:60",
        "2026-11-27T10:00:03+0200",
        "2026-11-27T10:00:03+02",
        "2026-11-27T10:00:03+02:00Z",
        "2026-11-27T10:00:03Zjunk",
        "2026-11-27T10:00:03Z ",
        " 2026-11-27T10:00:03Z",
        "2026-1-27T10:00:03Z",
        "26-11-27T10:00:03Z",
        "+2026-11-27T10:00:03Z",
        "2026-11-2aT10:00:03Z",
        "2026/11/27T10:00:03Z",
        "2026-11-27T10-00-03Z",
        "1677-12-31T23:59:59Z",            // outside 1678...2261
        "2262-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ])
    func rejectsInvalidTimestamps(text: String) {
        #expect(Timestamp(rfc3339: text) == nil, "\(text)")
        #expect(Timestamp(rfc3339Bytes: Array(text.utf8)) == nil, "\(text)")
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:00.000000001Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (1_795_773_603_500_000_000, "2026-11-27T10:00:03.5Z"),
        (1_795_773_603_000_000_000, "2026-11-27T10:00:03Z"),
        (1_795_773_603_120_000_000, "2026-11-27T10:00:03.12Z"),
        (1_234_567_890_123_456_789, "2009-02-13T23:31:30.123456789Z"),
        (-1_234_567_890_123_456_789, "1930-11-18T00:28:29.876543211Z"),
        (951_782_400_000_000_001, "2000-02-29T00:00:00.000000001Z"),
        (Int64.max, "2262-04-11T23:47:16.854775807Z"),
        (Int64.min, "1677-09-21T00:12:43.145224192Z"),
    ] as [(Int64, String)])
    func formatsUTCWithFewestFractionDigits(nanoseconds: Int64, text: String) {
        let timestamp = Timestamp(nanosecondsSinceEpoch: nanoseconds)
        #expect(timestamp.rfc3339 == text)
        #expect(timestamp.description == text)
    }

    @Test(arguments: [
        Int64(0), 1, -1, 999_999_999, -999_999_999, 86_400_000_000_000, -86_400_000_000_000,
        1_795_773_603_500_000_000, 1_709_208_000_000_000_000, 951_782_400_000_000_001,
        -9_214_560_000_000_000_000, 9_214_646_399_999_999_999, 4_102_444_800_000_000_000, -2_208_988_800_000_000_000,
    ])
    func formatThenParseRoundTrips(nanoseconds: Int64) {
        let timestamp = Timestamp(nanosecondsSinceEpoch: nanoseconds)
        #expect(Timestamp(rfc3339: timestamp.rfc3339) == timestamp)
    }

    @Test func roundTripsEveryDayAcrossLeapYears() {
        // Every day from late 1999 to early 2100 (2000 and 2096 are leap years, 2100 is not) at varying times of day.
        var previous: (year: Int64, month: Int64, day: Int64)? = nil
        for dayIndex in Int64(10_950)...Int64(47_500) {
            let nanos = dayIndex * 86_400_000_000_000 + (dayIndex % 86_400) * 1_000_000_000 + dayIndex % 1000 * 1_000_000
            let timestamp = Timestamp(nanosecondsSinceEpoch: nanos)
            let text = timestamp.rfc3339
            guard let reparsed = Timestamp(rfc3339: text) else {
                Issue.record("could not reparse \(text)")
                return
            }
            #expect(reparsed == timestamp)
            let date = Timestamp.civil(fromDays: dayIndex)
            #expect(Timestamp.daysFromCivil(year: date.year, month: date.month, day: date.day) == dayIndex)
            if let previous {
                let nextDay = previous.day + 1 == date.day && previous.month == date.month
                let nextMonth = date.day == 1 && (date.month == previous.month + 1 || (date.month == 1 && previous.month == 12))
                #expect(nextDay || nextMonth, "\(previous) -> \(date)")
            }
            previous = date
        }
    }

    @Test func parsesOffsetsToTheSameInstant() {
        let utc = Timestamp(rfc3339: "2026-01-01T00:30:00Z")
        #expect(Timestamp(rfc3339: "2025-12-31T23:00:00-01:30") == utc)
        #expect(Timestamp(rfc3339: "2026-01-01T09:30:00+09:00") == utc)
        #expect(Timestamp(rfc3339: "2026-01-01T09:30:00+09:00")?.rfc3339 == "2026-01-01T00:30:00Z")
    }

    @Test func acceptsSubstringsAndSlices() {
        let line = "time=2026-11-27T10:00:03.5Z;"
        let start = line.index(line.startIndex, offsetBy: 5)
        let end = line.index(before: line.endIndex)
        #expect(Timestamp(rfc3339: line[start..<end])?.nanosecondsSinceEpoch == 1_795_773_603_500_000_000)
        let bytes = Array(line.utf8)
        #expect(Timestamp(rfc3339Bytes: bytes[5..<(bytes.count - 1)])?.nanosecondsSinceEpoch == 1_795_773_603_500_000_000)
        #expect(Timestamp(rfc3339Bytes: AnyCollection(bytes[5..<(bytes.count - 1)])) != nil)
    }

    @Test func ordersByInstant() {
        let a = Timestamp(nanosecondsSinceEpoch: -5)
        let b = Timestamp(nanosecondsSinceEpoch: 0)
        let c = Timestamp(rfc3339: "2026-11-27T10:00:03Z")!
        #expect(a < b && b < c)
        #expect([c, a, b].sorted() == [a, b, c])
        #expect(Timestamp(rfc3339: "2026-11-27T12:00:03+02:00")! == c)
        #expect(Set([c, Timestamp(rfc3339: "2026-11-27T12:00:03+02:00")!]).count == 1)
    }
}
