/// Where one event document sits in its input: a 1-based line of JSON Lines, or a 0-based index of a JSON array.
public enum DocumentLocation: Sendable, Hashable, CustomStringConvertible {
    /// A 1-based line number of a JSON Lines input, counting every line (blank ones too).
    case line(Int)
    /// A 0-based element index of a JSON array input.
    case index(Int)

    /// `line 3` or `index 0`.
    public var description: String {
        switch self {
        case .line(let n): return "line \(n)"
        case .index(let n): return "index \(n)"
        }
    }
}

/// A JSON value together with where it came from.
public struct LocatedDocument: Sendable, Hashable {
    /// The line or array index the value was found at.
    public var location: DocumentLocation
    /// The parsed value.
    public var value: JSONValue

    /// Creates a located document.
    public init(location: DocumentLocation, value: JSONValue) {
        self.location = location
        self.value = value
    }
}

/// Why an input of event documents could not be split: where (when inside a document) and why.
public struct DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The document at fault, or nil when the problem is in the framing (e.g. a missing `]`).
    public var location: DocumentLocation?
    /// What is wrong, usually a ``JSONSyntaxError`` description such as `at byte 17: expected ...`.
    public var reason: String

    /// Creates an error.
    public init(location: DocumentLocation?, reason: String) {
        self.location = location
        self.reason = reason
    }

    /// `line 3: at byte 17: expected ...`, or just the reason when there is no location.
    public var description: String {
        if let location { return "\(location): \(reason)" }
        return reason
    }
}

extension JSONParser {
    /// Splits an input that is either a JSON array (first non-whitespace byte `[`) or JSON Lines into documents.
    ///
    /// Syntax error offsets are relative to the start of the line for JSON Lines, and to the start of the
    /// whole input (a leading BOM included) for a JSON array.
    public static func documents(in bytes: some Collection<UInt8>) throws(DocumentError) -> [LocatedDocument] {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            documentsResult(UnsafeRawBufferPointer(buffer))
        }
        if let result { return try result.get() }
        return try Array(bytes).withUnsafeBytes { documentsResult($0) }.get()
    }

    /// Streaming form for large inputs: calls `body` per document, in order; stops at the first error.
    ///
    /// Syntax problems are thrown as ``DocumentError``; errors thrown by `body` are rethrown unchanged.
    public static func forEachDocument(in bytes: UnsafeRawBufferPointer, _ body: (LocatedDocument) throws -> Void) throws {
        try forEachDocument(in: bytes) { (reader: inout JSONReader, location: DocumentLocation) in
            try body(LocatedDocument(location: location, value: try reader.readValue()))
        }
    }

    static func documentsResult(_ bytes: UnsafeRawBufferPointer) -> Result<[LocatedDocument], DocumentError> {
        var documents: [LocatedDocument] = []
        do {
            try forEachDocument(in: bytes) { documents.append($0) }
        } catch let error as DocumentError {
            return .failure(error)
        } catch {
            return .failure(DocumentError(location: nil, reason: "\(error)"))
        }
        return .success(documents)
    }

    /// The pull form, for decoders that want no tree: calls `body` with a reader standing at each document
    /// (a line of JSON Lines, or an element of a JSON array); `body` must read exactly one value.
    ///
    /// Syntax problems, including ``JSONSyntaxError``s thrown while `body` reads, are thrown as ``DocumentError``
    /// with the document's location; other errors thrown by `body` are rethrown unchanged.
    public static func forEachDocument(in bytes: UnsafeRawBufferPointer,
                                       reading body: (inout JSONReader, DocumentLocation) throws -> Void) throws {
        guard let raw = bytes.baseAddress, bytes.count > 0 else { return }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let count = bytes.count
        var start = 0
        if count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { start = 3 }
        var first = start
        while first < count && isJSONWhitespace(base[first]) { first += 1 }
        if first == count { return }
        var reader = JSONReader(base: base, count: count)
        func read(_ reader: inout JSONReader, _ location: DocumentLocation) throws {
            do {
                try body(&reader, location)
            } catch let error as JSONSyntaxError {
                throw DocumentError(location: location, reason: error.description)
            }
        }
        if base[first] == UInt8(ascii: "[") {
            try walkArray(&reader, first, read)
            return
        }
        // JSON Lines.
        var lineStart = start
        var lineNumber = 0
        while lineStart < count {
            lineNumber += 1
            let newline = findNewline(base, from: lineStart, count: count)
            var lineEnd = newline
            if lineEnd > lineStart && base[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            reader.reset(base: base + lineStart, count: lineEnd - lineStart)
            reader.core.skipWhitespace()
            if reader.core.pos < reader.core.count {
                try read(&reader, .line(lineNumber))
                reader.core.skipWhitespace()
                if reader.core.pos < reader.core.count {
                    throw DocumentError(location: .line(lineNumber),
                                        reason: JSONSyntaxError(offset: reader.core.pos, reason: "unexpected data after the JSON value").description)
                }
            }
            lineStart = newline + 1
        }
    }

    private static func walkArray(_ reader: inout JSONReader, _ open: Int,
                                  _ read: (inout JSONReader, DocumentLocation) throws -> Void) throws {
        func framing(_ offset: Int, _ reason: String) -> DocumentError {
            DocumentError(location: nil, reason: JSONSyntaxError(offset: offset, reason: reason).description)
        }
        reader.core.pos = open + 1
        reader.core.skipWhitespace()
        if reader.core.pos == reader.core.count { throw framing(reader.core.pos, "unexpected end of input; expected a value or ']'") }
        if reader.core.base[reader.core.pos] == UInt8(ascii: "]") {
            reader.core.pos += 1
        } else {
            var index = 0
            while true {
                reader.resetStacks()
                try read(&reader, .index(index))
                index += 1
                reader.core.skipWhitespace()
                guard reader.core.pos < reader.core.count else {
                    throw framing(reader.core.pos, "unexpected end of input; expected ',' or ']' after array element")
                }
                let byte = reader.core.base[reader.core.pos]
                if byte == UInt8(ascii: "]") {
                    reader.core.pos += 1
                    break
                }
                guard byte == UInt8(ascii: ",") else {
                    throw framing(reader.core.pos, "expected ',' or ']' after array element")
                }
                let comma = reader.core.pos
                reader.core.pos += 1
                reader.core.skipWhitespace()
                if reader.core.pos == reader.core.count { throw framing(reader.core.pos, "unexpected end of input; expected a value") }
                if reader.core.base[reader.core.pos] == UInt8(ascii: "]") { throw framing(comma, "trailing comma before ']'") }
            }
        }
        reader.core.skipWhitespace()
        if reader.core.pos < reader.core.count { throw framing(reader.core.pos, "unexpected data after the top-level array") }
    }

    /// The index of the next `\n` at or after `from`, or `count` when there is none.
    private static func findNewline(_ base: UnsafePointer<UInt8>, from: Int, count: Int) -> Int {
        var i = from
        let raw = UnsafeRawPointer(base)
        while i + 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ (SWAR.ones &* 0x0A)
            if (word &- SWAR.ones) & ~word & SWAR.highs != 0 { break }
            i += 8
        }
        while i < count && base[i] != UInt8(ascii: "\n") { i += 1 }
        return i
    }
}

/// Whether `byte` is JSON insignificant whitespace (space, tab, line feed, carriage return).
@inline(__always)
func isJSONWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}
