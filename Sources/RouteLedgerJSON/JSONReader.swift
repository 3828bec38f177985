/// What kind of JSON value comes next.
public enum JSONKind: Sendable, Hashable {
    case null, bool, number, string, array, object

    /// `a string`, `an object`, … for error messages.
    public var name: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A validated string literal as it sits in the reader's input: compared without building a String.
/// Valid only while the reader's input is.
public struct RawString {
    /// The input the offsets refer to.
    @usableFromInline let base: UnsafePointer<UInt8>
    /// Offset of the first content byte (after the quote).
    @usableFromInline let start: Int
    /// Content length in bytes, escapes as written.
    @usableFromInline let count: Int
    /// Whether the literal holds escapes (then its bytes are not its value).
    public let hasEscapes: Bool

    init(base: UnsafePointer<UInt8>, start: Int, count: Int, hasEscapes: Bool) {
        self.base = base
        self.start = start
        self.count = count
        self.hasEscapes = hasEscapes
    }

    /// The literal's bytes as written.
    @inlinable public var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base + start, count: count) }

    /// The literal's value.
    public var string: String {
        if !hasEscapes { return String(decoding: bytes, as: UTF8.self) }
        return JSONParserCore(base: base, count: start + count).string(self)
    }

    /// Matches a name that needs no escaping, byte for byte, without building a String.
    @inlinable public static func ~= (name: StaticString, raw: RawString) -> Bool {
        if raw.hasEscapes { return raw.string == name.description }
        return raw.count == name.utf8CodeUnitCount && memoryEqual(raw.base + raw.start, name.utf8Start, raw.count)
    }
}

/// A pull reader over one JSON document: the caller asks for the members and values it expects, and the
/// reader validates the syntax as it goes, with the same strictness as ``JSONParser`` (duplicate keys,
/// escapes, UTF-8, numbers, nesting depth).
///
/// It exists for the append hot path, where building a ``JSONValue`` tree costs more than the decoding itself.
/// Every value must be consumed: read, skipped, or entered with `beginObject`/`beginArray`.
public struct JSONReader {
    var core: JSONParserCore
    /// Keys of the open objects, to refuse duplicates; `keyStarts` marks where each open object's keys begin.
    private var keys: [RawString] = []
    private var keyStarts: [Int] = []
    /// Members or elements read so far in each open container.
    private var counts: [Int] = []
    /// For open objects with many members, their keys as a set (a linear scan would be quadratic).
    private var largeObjectKeys: [Int: Set<ByteKey>] = [:]
    /// Objects with more members than this check duplicates through `largeObjectKeys`.
    private static let linearKeyLimit = 16

    init(base: UnsafePointer<UInt8>, count: Int) {
        core = JSONParserCore(base: base, count: count)
    }

    mutating func reset(base: UnsafePointer<UInt8>, count: Int) {
        core.reset(base: base, count: count)
        resetStacks()
    }

    mutating func resetStacks() {
        if !keys.isEmpty { keys.removeAll(keepingCapacity: true) }
        if !keyStarts.isEmpty { keyStarts.removeAll(keepingCapacity: true) }
        if !counts.isEmpty { counts.removeAll(keepingCapacity: true) }
        if !largeObjectKeys.isEmpty { largeObjectKeys.removeAll() }
    }

    /// The byte offset of the next unread byte, in the reader's input.
    public var offset: Int { core.pos }

    /// The kind of the next value (whitespace skipped).
    public mutating func peek() throws(JSONSyntaxError) -> JSONKind {
        core.skipWhitespace()
        guard core.pos < core.count else { throw core.fail(core.pos, "unexpected end of input; expected a value") }
        switch core.base[core.pos] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "+"): throw core.fail(core.pos, "numbers must not start with '+'")
        case UInt8(ascii: "."): throw core.fail(core.pos, "numbers must start with a digit")
        case let byte: throw core.fail(core.pos, "unexpected \(core.describe(byte)); expected a value")
        }
    }

    /// Enters the object that comes next.
    public mutating func beginObject() throws(JSONSyntaxError) {
        guard try peek() == .object else { throw core.fail(core.pos, "expected an object") }
        try enter()
        keyStarts.append(keys.count)
    }

    /// The next member's key (the reader then stands at its value), or nil when the object ends.
    public mutating func nextKey() throws(JSONSyntaxError) -> String? {
        try nextRawKey().map { core.string($0) }
    }

    /// The next member's key, unbuilt; nil when the object ends.
    public mutating func nextRawKey() throws(JSONSyntaxError) -> RawString? {
        guard try separator(closing: UInt8(ascii: "}"), after: "object member") else {
            keys.removeLast(keys.count - keyStarts.removeLast())
            if !largeObjectKeys.isEmpty { largeObjectKeys[counts.count] = nil }
            counts.removeLast()
            return nil
        }
        guard core.pos < core.count else { throw core.fail(core.pos, "unexpected end of input; expected an object key") }
        guard core.base[core.pos] == UInt8(ascii: "\"") else {
            throw core.fail(core.pos, "expected '\"' to begin an object key, found \(core.describe(core.base[core.pos]))")
        }
        let keyOffset = core.pos
        let key = try core.scanString()
        let first = keyStarts[keyStarts.count - 1]
        if keys.count - first < Self.linearKeyLimit {
            for i in first..<keys.count where isSame(keys[i], key) { throw duplicate(key, at: keyOffset) }
        } else {
            if largeObjectKeys[counts.count] == nil {
                largeObjectKeys[counts.count] = Set(keys[first...].map { ByteKey($0.string) })
            }
            guard largeObjectKeys[counts.count]!.insert(ByteKey(key.string)).inserted else { throw duplicate(key, at: keyOffset) }
        }
        keys.append(key)
        counts[counts.count - 1] += 1
        core.skipWhitespace()
        guard core.pos < core.count, core.base[core.pos] == UInt8(ascii: ":") else {
            throw core.fail(core.pos, "expected ':' after object key")
        }
        core.pos += 1
        return key
    }

    private func duplicate(_ key: RawString, at offset: Int) -> JSONSyntaxError {
        var quoted: [UInt8] = []
        writeJSONString(key.string, into: &quoted)
        return core.fail(offset, "duplicate key \(String(decoding: quoted, as: UTF8.self))")
    }

    /// Whether two keys hold the same UTF-8 bytes once unescaped.
    private func isSame(_ a: RawString, _ b: RawString) -> Bool {
        if !a.hasEscapes && !b.hasEscapes {
            return a.count == b.count && memoryEqual(core.base + a.start, core.base + b.start, a.count)
        }
        return sameBytes(core.string(a), core.string(b))
    }

    /// Reads the string that comes next, unbuilt.
    public mutating func readRawString() throws(JSONSyntaxError) -> RawString {
        guard try peek() == .string else { throw core.fail(core.pos, "expected a string") }
        return try core.scanString()
    }

    /// Enters the array that comes next.
    public mutating func beginArray() throws(JSONSyntaxError) {
        guard try peek() == .array else { throw core.fail(core.pos, "expected an array") }
        try enter()
    }

    /// Whether another element follows (the reader then stands at it); false when the array ends.
    public mutating func nextElement() throws(JSONSyntaxError) -> Bool {
        guard try separator(closing: UInt8(ascii: "]"), after: "array element") else {
            counts.removeLast()
            return false
        }
        counts[counts.count - 1] += 1
        return true
    }

    /// Reads the string that comes next.
    public mutating func readString() throws(JSONSyntaxError) -> String {
        guard try peek() == .string else { throw core.fail(core.pos, "expected a string") }
        return try core.parseString()
    }

    /// Reads the number that comes next, as written.
    public mutating func readNumber() throws(JSONSyntaxError) -> String {
        guard try peek() == .number else { throw core.fail(core.pos, "expected a number") }
        return try core.parseNumber()
    }

    /// Reads the boolean that comes next.
    public mutating func readBool() throws(JSONSyntaxError) -> Bool {
        guard try peek() == .bool else { throw core.fail(core.pos, "expected true or false") }
        if core.base[core.pos] == UInt8(ascii: "t") {
            try core.parseLiteral("true")
            return true
        }
        try core.parseLiteral("false")
        return false
    }

    /// Reads the `null` that comes next.
    public mutating func readNull() throws(JSONSyntaxError) {
        guard try peek() == .null else { throw core.fail(core.pos, "expected null") }
        try core.parseLiteral("null")
    }

    /// Reads the value that comes next as a tree.
    public mutating func readValue() throws(JSONSyntaxError) -> JSONValue {
        switch try peek() {
        case .object:
            try beginObject()
            var members: [JSONMember] = []
            while let key = try nextKey() { members.append(JSONMember(key, try readValue())) }
            return .object(members)
        case .array:
            try beginArray()
            var values: [JSONValue] = []
            while try nextElement() { values.append(try readValue()) }
            return .array(values)
        case .string: return .string(try core.parseString())
        case .number: return .number(try core.parseNumber())
        case .bool: return .bool(try readBool())
        case .null:
            try core.parseLiteral("null")
            return .null
        }
    }

    /// Reads past the value that comes next, validating it, without building it.
    public mutating func skipValue() throws(JSONSyntaxError) {
        switch try peek() {
        case .object:
            try beginObject()
            while try nextRawKey() != nil { try skipValue() }
        case .array:
            try beginArray()
            while try nextElement() { try skipValue() }
        case .string: _ = try core.scanString()
        case .number: _ = try core.parseNumber()
        case .bool: _ = try readBool()
        case .null: try core.parseLiteral("null")
        }
    }

    /// The input between two offsets with the whitespace outside strings removed: a value's compact form,
    /// byte for byte as written otherwise (member order and escapes are kept).
    public func compactBytes(from start: Int, to end: Int) -> [UInt8] {
        if !containsWhitespace(from: start, to: end) {
            return Array(UnsafeBufferPointer(start: core.base + start, count: end - start))
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var inString = false
        var escaped = false
        var runStart = start
        for i in start..<end {
            let byte = core.base[i]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if isJSONWhitespace(byte) {
                if i > runStart { out.append(contentsOf: UnsafeBufferPointer(start: core.base + runStart, count: i - runStart)) }
                runStart = i + 1
            }
        }
        if end > runStart { out.append(contentsOf: UnsafeBufferPointer(start: core.base + runStart, count: end - runStart)) }
        return out
    }

    /// Whether any byte in the range is a space or a control character (a word at a time).
    private func containsWhitespace(from start: Int, to end: Int) -> Bool {
        var i = start
        let raw = UnsafeRawPointer(core.base)
        while i + 8 <= end {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // A byte <= 0x20 is one whose value minus 0x21 borrows into its high bit (for bytes < 0x80).
            if (word &- SWAR.ones &* 0x21) & ~word & SWAR.highs != 0 { return true }
            i += 8
        }
        while i < end {
            if core.base[i] <= 0x20 { return true }
            i += 1
        }
        return false
    }

    /// Between members or elements of the open container: consumes its closing byte (false), or the `,`
    /// before the next item when one came before (true; the reader then stands at the item).
    private mutating func separator(closing: UInt8, after item: String) throws(JSONSyntaxError) -> Bool {
        let close = Character(Unicode.Scalar(closing))
        core.skipWhitespace()
        guard core.pos < core.count else { throw core.fail(core.pos, "unexpected end of input; expected ',' or '\(close)'") }
        if core.base[core.pos] == closing {
            core.pos += 1
            return false
        }
        if counts[counts.count - 1] > 0 {
            guard core.base[core.pos] == UInt8(ascii: ",") else { throw core.fail(core.pos, "expected ',' or '\(close)' after \(item)") }
            let comma = core.pos
            core.pos += 1
            core.skipWhitespace()
            if core.pos < core.count && core.base[core.pos] == closing { throw core.fail(comma, "trailing comma before '\(close)'") }
        }
        return true
    }

    private mutating func enter() throws(JSONSyntaxError) {
        if counts.count + 1 > JSONParser.maximumDepth {
            throw core.fail(core.pos, "nesting exceeds the depth limit of \(JSONParser.maximumDepth)")
        }
        core.pos += 1
        counts.append(0)
    }
}

extension JSONReader {
    /// Runs `body` over a reader of one complete document in `bytes` (surrounding whitespace allowed).
    public static func read<T>(_ bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws -> T) throws -> T {
        guard let raw = bytes.baseAddress, bytes.count > 0 else {
            throw JSONSyntaxError(offset: 0, reason: "unexpected end of input; expected a value")
        }
        var reader = JSONReader(base: raw.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        let result = try body(&reader)
        reader.core.skipWhitespace()
        if reader.core.pos < reader.core.count {
            throw JSONSyntaxError(offset: reader.core.pos, reason: "unexpected data after the JSON value")
        }
        return result
    }
}

@inlinable @inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
