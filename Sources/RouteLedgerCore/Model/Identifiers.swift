/// Declares a typed identifier: a string from the wire that the core never confuses with another kind of id.
public protocol TypedIdentifier: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The identifier as it appears in events.
    var rawValue: String { get }
    init(_ rawValue: String)
}

extension TypedIdentifier {
    public init(stringLiteral value: String) { self.init(value) }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A Swarm service id; Swarm never reuses one.
public struct ServiceID: TypedIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A Swarm task id; Swarm never reuses one.
public struct TaskID: TypedIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A Swarm network id; Docker never reuses one.
public struct NetworkID: TypedIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// The global, gapless position of an event in the log (1, 2, 3, …).
public typealias Seq = Int64
