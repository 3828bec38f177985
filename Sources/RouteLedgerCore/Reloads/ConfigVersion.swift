import Crypto
import RouteLedgerJSON

/// The version of a cluster's proxy configuration: a SHA-256 (hex) of the canonical serialization of its
/// ``ProxyView``.
///
/// The serialization is built so that one frontend's change updates it in constant time: each frontend's
/// canonical JSON is hashed (SHA-256), the frontend digests are added as 256-bit integers (so their order
/// does not matter), and the version is the SHA-256 of the cluster name, that sum, the default backend's
/// digest and the networks' digest. Equal views give equal versions whatever history led to them.
public struct ConfigVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 64 lowercase hex digits.
    public let hex: String

    /// Takes `hex` unchecked: pass 64 lowercase hex digits, as the store keeps them.
    public init(hex: String) { self.hex = hex }

    public var description: String { hex }
    /// The first 12 digits, for people.
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.hex < rhs.hex }

    /// A 256-bit sum of digests, little-endian 64-bit limbs.
    struct DigestSum: Sendable, Hashable {
        var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        static func == (lhs: Self, rhs: Self) -> Bool { lhs.limbs == rhs.limbs }
        func hash(into hasher: inout Hasher) {
            hasher.combine(limbs.0); hasher.combine(limbs.1); hasher.combine(limbs.2); hasher.combine(limbs.3)
        }

        mutating func add(_ digest: FrontendDigest) {
            var carry: UInt64 = 0
            limbs.0 = Self.add(limbs.0, digest.limbs.0, &carry)
            limbs.1 = Self.add(limbs.1, digest.limbs.1, &carry)
            limbs.2 = Self.add(limbs.2, digest.limbs.2, &carry)
            limbs.3 = Self.add(limbs.3, digest.limbs.3, &carry)
        }

        mutating func subtract(_ digest: FrontendDigest) {
            var borrow: UInt64 = 0
            limbs.0 = Self.subtract(limbs.0, digest.limbs.0, &borrow)
            limbs.1 = Self.subtract(limbs.1, digest.limbs.1, &borrow)
            limbs.2 = Self.subtract(limbs.2, digest.limbs.2, &borrow)
            limbs.3 = Self.subtract(limbs.3, digest.limbs.3, &borrow)
        }

        private static func add(_ a: UInt64, _ b: UInt64, _ carry: inout UInt64) -> UInt64 {
            let (s1, o1) = a.addingReportingOverflow(b)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
            return s2
        }

        private static func subtract(_ a: UInt64, _ b: UInt64, _ borrow: inout UInt64) -> UInt64 {
            let (d1, o1) = a.subtractingReportingOverflow(b)
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
            return d2
        }
    }

    /// The SHA-256 of one frontend's canonical serialization, as four 64-bit limbs.
    struct FrontendDigest: Sendable, Hashable {
        var limbs: (UInt64, UInt64, UInt64, UInt64)

        /// The digest of `frontend`, serialized by ``CanonicalFrontend``.
        init(_ frontend: ProxyFrontend) { self = CanonicalFrontend(frontend).digest }

        /// The digest of a frontend's canonical serialization.
        init(canonical bytes: [UInt8]) {
            let digest = SHA256.hash(data: bytes)
            limbs = digest.withUnsafeBytes { bytes in
                (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                 bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            }
        }

        static func == (lhs: Self, rhs: Self) -> Bool { lhs.limbs == rhs.limbs }
        func hash(into hasher: inout Hasher) { hasher.combine(limbs.0); hasher.combine(limbs.1) }
    }

    /// Builds a version incrementally: add and remove frontend digests, set the other parts.
    struct Accumulator: Sendable, Hashable {
        let cluster: String
        var frontends = DigestSum()
        var defaultBackend: [UInt8] = ConfigVersion.digest([ProxyServer]())
        var networks: [UInt8] = ConfigVersion.digest([NetworkID]())

        init(cluster: String) { self.cluster = cluster }

        mutating func add(_ frontend: ProxyFrontend) { frontends.add(FrontendDigest(frontend)) }

        var version: ConfigVersion {
            var input: [UInt8] = []
            return version(scratch: &input)
        }

        /// The version, serializing its input into `scratch` (emptied first, its capacity kept).
        func version(scratch input: inout [UInt8]) -> ConfigVersion {
            input.removeAll(keepingCapacity: true)
            input += "routeledger-proxy-view-v1\n".utf8
            writeJSONString(cluster, into: &input)
            withUnsafeBytes(of: frontends.limbs) { input.append(contentsOf: $0) }
            input += defaultBackend
            input += networks
            return ConfigVersion(hex: SHA256.hash(data: input).withUnsafeBytes { digest in
                String(unsafeUninitializedCapacity: 64) { out in
                    let digits: StaticString = "0123456789abcdef"
                    for (i, byte) in digest.enumerated() {
                        out[2 * i] = digits.utf8Start[Int(byte >> 4)]
                        out[2 * i + 1] = digits.utf8Start[Int(byte & 0x0f)]
                    }
                    return 64
                }
            })
        }
    }

    static func digest(_ servers: [ProxyServer]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (i, server) in servers.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            server.writeCanonical(into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        return Array(SHA256.hash(data: bytes))
    }

    static func digest(_ networks: [NetworkID]) -> [UInt8] {
        Array(SHA256.hash(data: JSONValue.array(networks.map { .string($0.rawValue) }).canonicalBytes))
    }
}
