/// Word-at-a-time byte tests.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether any of the 8 bytes in `word` is `"`, `\`, below 0x20 or at least 0x80.
    @inline(__always)
    static func stringNeedsAttention(_ word: UInt64) -> Bool {
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = (word &- ones &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl | word) & highs != 0
    }
}

/// The parsing state over one contiguous byte buffer; its scratch stacks are reused between documents.
struct JSONParserCore {
    var base: UnsafePointer<UInt8>
    var count: Int
    var pos = 0

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    mutating func reset(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
        pos = 0
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < count && isJSONWhitespace(base[pos]) { pos += 1 }
    }

    @inline(__always)
    func fail(_ offset: Int, _ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset, reason: reason)
    }

    mutating func parseLiteral(_ word: StaticString) throws(JSONSyntaxError) {
        let length = word.utf8CodeUnitCount
        let text = word.utf8Start
        if count - pos >= length {
            var matches = true
            for i in 1..<length where base[pos + i] != text[i] { matches = false; break }
            if matches {
                pos += length
                return
            }
        }
        throw fail(pos, "invalid literal; expected '\(word)'")
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = pos
        if base[pos] == UInt8(ascii: "-") {
            pos += 1
            guard pos < count, isDigit(base[pos]) else { throw fail(pos, "expected a digit after '-'") }
        }
        if base[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < count && isDigit(base[pos]) { throw fail(pos - 1, "leading zeros are not allowed in numbers") }
        } else {
            while pos < count && isDigit(base[pos]) { pos += 1 }
        }
        if pos < count && base[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < count, isDigit(base[pos]) else { throw fail(pos, "expected a digit after the decimal point") }
            while pos < count && isDigit(base[pos]) { pos += 1 }
        }
        if pos < count && (base[pos] | 0x20) == UInt8(ascii: "e") {
            pos += 1
            if pos < count && (base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard pos < count, isDigit(base[pos]) else { throw fail(pos, "expected a digit in the exponent") }
            while pos < count && isDigit(base[pos]) { pos += 1 }
        }
        return String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// Parses a string literal at `pos` (an opening quote), validating escapes and UTF-8.
    mutating func parseString() throws(JSONSyntaxError) -> String {
        string(try scanString())
    }

    /// Validates the string literal at `pos` (an opening quote) and moves past it, without building a String.
    mutating func scanString() throws(JSONSyntaxError) -> RawString {
        let quote = pos
        pos += 1
        let contentStart = pos
        var hasEscapes = false
        let raw = UnsafeRawPointer(base)
        while true {
            while pos + 8 <= count && !SWAR.stringNeedsAttention(raw.loadUnaligned(fromByteOffset: pos, as: UInt64.self)) {
                pos += 8
            }
            guard pos < count else { throw fail(quote, "unterminated string") }
            let byte = base[pos]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try validateEscape()
            } else if byte < 0x20 {
                throw fail(pos, "control character \(describe(byte)) must be escaped in a string")
            } else if byte >= 0x80 {
                try validateUTF8Sequence()
            } else {
                pos += 1
            }
        }
        let contentEnd = pos
        pos += 1
        return RawString(base: base, start: contentStart, count: contentEnd - contentStart, hasEscapes: hasEscapes)
    }

    /// The String of a scanned literal.
    func string(_ raw: RawString) -> String {
        if !raw.hasEscapes {
            return String(decoding: UnsafeBufferPointer(start: base + raw.start, count: raw.count), as: UTF8.self)
        }
        return decodeEscaped(from: raw.start, to: raw.start + raw.count)
    }

    /// Checks the escape sequence at `pos` (a backslash) and moves past it.
    private mutating func validateEscape() throws(JSONSyntaxError) {
        guard pos + 1 < count else { throw fail(pos, "unterminated escape sequence") }
        switch base[pos + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            pos += 2
        case UInt8(ascii: "u"):
            guard let unit = hex4(at: pos + 2) else { throw fail(pos, "invalid \\u escape; expected 4 hex digits") }
            if unit >= 0xDC00 && unit <= 0xDFFF {
                throw fail(pos, "unpaired low surrogate \\u\(hex(unit)) in string")
            }
            if unit >= 0xD800 && unit <= 0xDBFF {
                guard pos + 7 < count, base[pos + 6] == UInt8(ascii: "\\"), base[pos + 7] == UInt8(ascii: "u"),
                      let low = hex4(at: pos + 8), low >= 0xDC00 && low <= 0xDFFF else {
                    throw fail(pos, "unpaired high surrogate \\u\(hex(unit)) in string")
                }
                pos += 12
            } else {
                pos += 6
            }
        case let byte:
            throw fail(pos, "invalid escape '\\\(printable(byte))' in string")
        }
    }

    /// The value of 4 hex digits at `offset`, or nil when they are not all there.
    @inline(__always)
    private func hex4(at offset: Int) -> UInt32? {
        guard offset + 4 <= count else { return nil }
        var value: UInt32 = 0
        for i in offset..<offset + 4 {
            let byte = base[i]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Checks the multi-byte UTF-8 sequence at `pos` (a byte of at least 0x80) and moves past it.
    private mutating func validateUTF8Sequence() throws(JSONSyntaxError) {
        let lead = base[pos]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        var outOfRange = ""
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0; outOfRange = "overlong encoding"
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F; outOfRange = "surrogate code point"
        case 0xF0: length = 4; low = 0x90; outOfRange = "overlong encoding"
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F; outOfRange = "code point above U+10FFFF"
        case 0x80...0xBF: throw fail(pos, "invalid UTF-8: unexpected continuation byte \(hexByte(lead))")
        case 0xC0, 0xC1: throw fail(pos, "invalid UTF-8: overlong encoding")
        case 0xF5...0xF7: throw fail(pos, "invalid UTF-8: code point above U+10FFFF")
        default: throw fail(pos, "invalid UTF-8: invalid byte \(hexByte(lead))")
        }
        guard pos + length <= count else { throw fail(pos, "invalid UTF-8: truncated sequence") }
        let second = base[pos + 1]
        guard second & 0xC0 == 0x80 else { throw fail(pos, "invalid UTF-8: truncated sequence") }
        guard second >= low && second <= high else { throw fail(pos, "invalid UTF-8: \(outOfRange)") }
        if length > 2 {
            for i in 2..<length where base[pos + i] & 0xC0 != 0x80 {
                throw fail(pos, "invalid UTF-8: truncated sequence")
            }
        }
        pos += length
    }

    /// Decodes the already validated string content `start..<end`, which contains escapes.
    private func decodeEscaped(from start: Int, to end: Int) -> String {
        // Every escape is at least as long as what it decodes to, so the raw length bounds the result.
        String(unsafeUninitializedCapacity: end - start) { out in
            let target = out.baseAddress!
            var i = start
            var o = 0
            while i < end {
                var runEnd = i
                while runEnd < end && base[runEnd] != UInt8(ascii: "\\") { runEnd += 1 }
                if runEnd > i {
                    (target + o).initialize(from: base + i, count: runEnd - i)
                    o += runEnd - i
                    i = runEnd
                    if i == end { break }
                }
                let escape = base[i + 1]
                i += 2
                let scalar: UInt32
                switch escape {
                case UInt8(ascii: "b"): scalar = 0x08
                case UInt8(ascii: "f"): scalar = 0x0C
                case UInt8(ascii: "n"): scalar = 0x0A
                case UInt8(ascii: "r"): scalar = 0x0D
                case UInt8(ascii: "t"): scalar = 0x09
                case UInt8(ascii: "u"):
                    let unit = hex4(at: i)!
                    i += 4
                    if unit >= 0xD800 && unit <= 0xDBFF {
                        let lowUnit = hex4(at: i + 2)!
                        i += 6
                        scalar = 0x10000 + ((unit - 0xD800) << 10) + (lowUnit - 0xDC00)
                    } else {
                        scalar = unit
                    }
                default: scalar = UInt32(escape)  // `"`, `\` and `/` stand for themselves.
                }
                if scalar < 0x80 {
                    target[o] = UInt8(scalar)
                    o += 1
                } else if scalar < 0x800 {
                    target[o] = UInt8(0xC0 | (scalar >> 6))
                    target[o + 1] = UInt8(0x80 | (scalar & 0x3F))
                    o += 2
                } else if scalar < 0x10000 {
                    target[o] = UInt8(0xE0 | (scalar >> 12))
                    target[o + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                    target[o + 2] = UInt8(0x80 | (scalar & 0x3F))
                    o += 3
                } else {
                    target[o] = UInt8(0xF0 | (scalar >> 18))
                    target[o + 1] = UInt8(0x80 | ((scalar >> 12) & 0x3F))
                    target[o + 2] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                    target[o + 3] = UInt8(0x80 | (scalar & 0x3F))
                    o += 4
                }
            }
            return o
        }
    }

    func describe(_ byte: UInt8) -> String {
        if byte > 0x20 && byte < 0x7F { return "character '\(printable(byte))'" }
        return "byte \(hexByte(byte))"
    }

    private func printable(_ byte: UInt8) -> String {
        if byte > 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
        return hexByte(byte)
    }

    private func hexByte(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0x0\(digits)" : "0x\(digits)"
    }

    private func hex(_ unit: UInt32) -> String {
        let digits = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.utf8.count)) + digits
    }
}

/// Whether two strings have the same UTF-8 bytes (not merely canonically equivalent).
@inline(__always)
func sameBytes(_ a: String, _ b: String) -> Bool {
    // `==` is cheap and implied by byte equality; the byte check rules out canonical-equivalence matches.
    a == b && a.utf8.elementsEqual(b.utf8)
}

/// A string hashed and compared by its UTF-8 bytes.
struct ByteKey: Hashable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: ByteKey, b: ByteKey) -> Bool { sameBytes(a.text, b.text) }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
