import RouteLedgerCore

/// Where the Docker daemon listens: a unix socket (the default, `unix:///var/run/docker.sock`) or plain TCP
/// (`tcp://host:2375`). TLS (`tcp://…:2376`, `https://`) and `ssh://` are not supported: tunnel them to a
/// local socket instead.
public struct DockerEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Address: Sendable, Hashable {
        /// A unix domain socket at an absolute path.
        case unix(path: String)
        /// Plain HTTP over TCP.
        case tcp(host: String, port: Int)
    }

    public var address: Address

    /// The daemon's default socket.
    public static let defaultSocket = DockerEndpoint(address: .unix(path: "/var/run/docker.sock"))

    public init(address: Address) {
        self.address = address
    }

    /// Parses `unix:///path`, `tcp://host:port` (port 2375 when left out), `http://host:port`, or an absolute
    /// socket path, as `DOCKER_HOST` spells them.
    /// - Throws: ``DockerError/invalidHost(_:reason:)``.
    public init(_ text: String) throws {
        func invalid(_ reason: String) -> DockerError { .invalidHost(text, reason: reason) }
        if text.hasPrefix("/") {
            self.init(address: .unix(path: text))
            return
        }
        guard let separator = text.range(of: "://") else { throw invalid("no scheme") }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = String(text[separator.upperBound...])
        switch scheme {
        case "unix":
            guard rest.hasPrefix("/") else { throw invalid("the socket path must be absolute (unix:///var/run/docker.sock)") }
            guard rest.utf8.count <= 103 else { throw invalid("the socket path is longer than a unix socket address allows") }
            self.init(address: .unix(path: rest))
        case "tcp", "http":
            var authority = rest
            if let slash = authority.firstIndex(of: "/") {
                guard authority[slash...].allSatisfy({ $0 == "/" }) else { throw invalid("a path prefix is not supported") }
                authority = String(authority[..<slash])
            }
            let host: String
            var portText: Substring?
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { throw invalid("unclosed [ in an IPv6 address") }
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                if !after.isEmpty {
                    guard after.hasPrefix(":") else { throw invalid("expected :PORT after the IPv6 address") }
                    portText = after.dropFirst()
                }
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty else { throw invalid("no host") }
            var port = 2375
            if let portText {
                guard let parsed = Int(portText), (1...65535).contains(parsed) else { throw invalid("port \"\(portText)\" is not 1 to 65535") }
                port = parsed
            }
            self.init(address: .tcp(host: host, port: port))
        case "https":
            throw invalid("TLS is not supported; reach the daemon through its unix socket, or tunnel it to one")
        case "ssh":
            throw invalid("ssh:// is not supported; forward the remote socket (ssh -L /tmp/docker.sock:/var/run/docker.sock HOST) and use unix:///tmp/docker.sock")
        default:
            throw invalid("unknown scheme \(scheme)")
        }
    }

    /// The endpoint as `DOCKER_HOST` spells it.
    public var description: String {
        switch address {
        case .unix(let path): "unix://" + path
        case .tcp(let host, let port): "tcp://" + Self.authority(host, port)
        }
    }

    /// The URL requests' paths are appended to: `http+unix://` with the socket path percent-encoded as the
    /// host (AsyncHTTPClient's spelling), or `http://host:port`.
    var baseURL: String {
        switch address {
        case .unix(let path): "http+unix://" + PercentEncoding.queryValue(path)
        case .tcp(let host, let port): "http://" + Self.authority(host, port)
        }
    }

    /// The `Host` header a request must name itself: a unix socket has no host name, so Docker's clients send
    /// a placeholder (nil over TCP, where the client sends `host:port`).
    var hostHeader: String? {
        switch address {
        case .unix: "docker"
        case .tcp: nil
        }
    }

    /// `host:port`, an IPv6 address in brackets.
    private static func authority(_ host: String, _ port: Int) -> String {
        (host.contains(":") ? "[\(host)]" : host) + ":" + String(port)
    }
}
