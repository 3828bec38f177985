/// Why a JSON text was refused: the byte offset of the problem and a short reason.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 0-based byte offset of the problem in the parsed value's input.
    public var offset: Int
    /// What is wrong, in a short sentence.
    public var reason: String

    /// Creates an error at `offset`.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// The offset and the reason, e.g. `at byte 17: expected ':' after object key`.
    public var description: String { "at byte \(offset): \(reason)" }
}

/// A strict, single-pass RFC 8259 JSON parser over UTF-8 bytes.
public enum JSONParser {
    /// The deepest nesting of arrays and objects a document may have.
    public static let maximumDepth = 64

    /// Parses exactly one JSON value, with optional surrounding whitespace, from UTF-8 bytes.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            parseResult(UnsafeRawBufferPointer(buffer))
        }
        if let result { return try result.get() }
        return try Array(bytes).withUnsafeBytes { parseResult($0) }.get()
    }

    /// Parses exactly one JSON value, with optional surrounding whitespace, from raw UTF-8 bytes.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        try parseResult(bytes).get()
    }

    static func parseResult(_ bytes: UnsafeRawBufferPointer) -> Result<JSONValue, JSONSyntaxError> {
        guard let raw = bytes.baseAddress, bytes.count > 0 else {
            return .failure(JSONSyntaxError(offset: 0, reason: "unexpected end of input; expected a value"))
        }
        var reader = JSONReader(base: raw.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        do throws(JSONSyntaxError) {
            let value = try reader.readValue()
            reader.core.skipWhitespace()
            if reader.core.pos < reader.core.count {
                throw JSONSyntaxError(offset: reader.core.pos, reason: "unexpected data after the JSON value")
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
}
