/// A parsed JSON value. Objects keep their members in input order; numbers keep their text as written.
///
/// Equality and hashing are the synthesized ones, so strings (and object keys) compare with Swift's
/// `String` semantics (canonical equivalence); use ``canonicalBytes`` when byte identity matters.
public enum JSONValue: Sendable, Hashable {
    /// The JSON literal `null`.
    case null
    /// The JSON literal `true` or `false`.
    case bool(Bool)
    /// A validated JSON number, kept as the exact text written in the input (e.g. `"8080"`, `"-1.5e3"`).
    case number(String)
    /// A JSON string with its escapes decoded.
    case string(String)
    /// A JSON array.
    case array([JSONValue])
    /// A JSON object, its members in input order.
    case object([JSONMember])
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    /// The member's key, with escapes decoded.
    public var key: String
    /// The member's value.
    public var value: JSONValue

    /// Creates a member from its key and value.
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue {
    /// The value of the first member named `key` when this is an object; nil for non-objects or a missing key.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    /// The string when this is a JSON string, else nil.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The flag when this is `true` or `false`, else nil.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The integer when this is a number written without fraction or exponent that fits `Int`, else nil.
    public var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        for byte in text.utf8 where byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            return nil
        }
        return Int(text)
    }

    /// The elements when this is an array, else nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The members (in input order) when this is an object, else nil.
    public var objectValue: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Whether this is the literal `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The kind of value with its article, for messages like "expected a string, found a number".
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension JSONValue {
    /// JSON equality: objects are equal when they hold the same members in any order; arrays, strings,
    /// numbers (as written), booleans and null compare as `==` does.
    public func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for member in a {
                guard let match = b.first(where: { $0.key == member.key }), member.value.isEquivalent(to: match.value) else { return false }
            }
            return true
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
        default:
            return self == other
        }
    }
}
