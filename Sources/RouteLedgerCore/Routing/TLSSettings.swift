/// Whether the proxy checks an HTTPS upstream's certificate (`com.docker.lb.ssl_backend_tls_verify`).
public enum BackendVerify: String, Sendable, Hashable {
    /// The upstream's certificate is not checked (Interlock's default).
    case none
    /// The upstream's certificate must chain to the CA the renderer is given (`--backend-ca`).
    case required
}

/// What a service's TLS labels ask of its frontends (Interlock's `ssl_*` labels).
///
/// Only the *names* of the Docker secrets holding the certificate and key are known: secrets are opaque
/// to the event log, so a certificate renewed under the same secret name is not a change here.
public struct TLSSettings: Sendable, Hashable {
    /// `ssl_cert`: the Docker secret holding the certificate (chain), PEM.
    public var certificate: String?
    /// `ssl_key`: the Docker secret holding the private key, PEM.
    public var key: String?
    /// `ssl_only`: plain HTTP for the host answers a redirect to HTTPS.
    public var only: Bool
    /// `ssl_backend`: the proxy talks HTTPS to the upstreams.
    public var backend: Bool
    /// `ssl_backend_tls_verify`: whether the upstreams' certificates are checked.
    public var verify: BackendVerify
    /// `ssl_passthrough`: the proxy routes the TLS connection by SNI without terminating it.
    public var passthrough: Bool

    /// Creates settings; the defaults ask for nothing.
    public init(certificate: String? = nil, key: String? = nil, only: Bool = false, backend: Bool = false,
                verify: BackendVerify = .none, passthrough: Bool = false) {
        self.certificate = certificate
        self.key = key
        self.only = only
        self.backend = backend
        self.verify = verify
        self.passthrough = passthrough
    }

    /// Whether these settings ask for nothing (a service without TLS labels, or with only defaults).
    public var isEmpty: Bool { self == TLSSettings() }

    /// Whether the proxy terminates TLS for the host (a certificate and key, not passthrough).
    public var terminates: Bool { certificate != nil && key != nil && !passthrough }

    /// A few words for people: `certificate shop-2026 (key shop-2026-key), ssl_only, backend https verified`.
    public var summary: String {
        var parts: [String] = []
        if passthrough { parts.append("passthrough") }
        if let certificate { parts.append("certificate \(certificate)" + (key.map { " (key \($0))" } ?? "")) }
        if only { parts.append("ssl_only") }
        if backend { parts.append(verify == .required ? "backend https verified" : "backend https") }
        return parts.isEmpty ? "no TLS" : parts.joined(separator: ", ")
    }

    /// Whether `name` can name a Docker secret: letters, digits, `_`, `.` and `-`, starting and ending with a
    /// letter or digit, at most 64 characters (what the Engine accepts). Such a name is a safe file name.
    static func isSecretName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, let last = bytes.last,
              isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
