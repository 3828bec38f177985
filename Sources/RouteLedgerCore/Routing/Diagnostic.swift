/// Something an operator should know about the routing: a label that is ignored, invalid, or a frontend left out.
///
/// Diagnostics are shown by queries; they are not part of what the proxy sees.
public struct Diagnostic: Sendable, Hashable, Comparable {
    /// `error`: a label is invalid, so none of the service's current labels apply; `warning`: something is
    /// ignored or left out.
    public enum Severity: String, Sendable, Hashable {
        case warning, error
    }

    public var severity: Severity
    /// The service it concerns, by name.
    public var service: String?
    /// The label at fault, with its full name (`com.docker.lb.port`).
    public var label: String?
    /// The host it concerns, for frontend-level diagnostics.
    public var host: String?
    /// The service cluster it concerns, when known.
    public var cluster: String?
    /// What is wrong and what RouteLedger did about it.
    public var message: String

    public init(_ severity: Severity, service: String?, label: String?, host: String? = nil, cluster: String? = nil,
                message: String) {
        self.severity = severity
        self.service = service
        self.label = label
        self.host = host
        self.cluster = cluster
        self.message = message
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.sortKey.lexicographicallyPrecedes(rhs.sortKey)
    }

    private var sortKey: [String] {
        [cluster ?? "", service ?? "", host ?? "", label ?? "", severity == .error ? "0" : "1", message]
    }
}
