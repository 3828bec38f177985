import Foundation

/// What `--db` names: a SQLite file, or a PostgreSQL database by URL.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is a file path.
    ///
    /// - Throws: ``StoreError/badLocation(_:)`` for a PostgreSQL URL that cannot be used, naming what is wrong.
    public init(_ text: String) throws {
        if PostgresURL.isPostgres(text) {
            self = .postgres(try PostgresURL(text))
        } else {
            self = .sqlite(path: text)
        }
    }
}

/// A PostgreSQL connection URL: `postgres://USER[:PASSWORD]@HOST[:PORT][,HOST[:PORT]…]/DATABASE[?host=/socket/dir&sslmode=MODE&target_session_attrs=ATTRS]`.
///
/// Several hosts are tried in order, as libpq does, until one accepts the connection and has the session
/// attributes asked for: `read-write` finds the primary after a failover without changing the URL.
///
/// The password may instead come from `$PGPASSWORD` (then it is not in the command line, where `ps` shows
/// it). The password never appears in ``description``, which messages and logs use.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS (libpq's `sslmode`, without the client-certificate modes).
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS, without checking the certificate.
        case require
        /// TLS, with the certificate checked against the system's CAs, not the host name.
        case verifyCA = "verify-ca"
        /// TLS, with the certificate and the host name checked.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    /// The TCP host, or nil with ``socketDirectory``.
    public var host: String?
    public var port: Int
    public var database: String
    /// A directory holding the server's unix socket (`?host=/dir`, libpq's form): then `.s.PGSQL.PORT` in it.
    public var socketDirectory: String?
    public var sslMode: SSLMode
    /// The other TCP hosts to try, in order, after ``host``/``port`` (`HOST:PORT,HOST:PORT`).
    public var alternates: [(host: String, port: Int)] = []
    /// Which server a connection must reach (libpq's `target_session_attrs`; default `any`).
    public var sessionAttributes: SessionAttributes = .any

    /// libpq's `target_session_attrs`: what a server must be for a connection to stay.
    public enum SessionAttributes: String, Sendable, CaseIterable {
        /// Any server that accepts the connection.
        case any
        /// A server that accepts writes (the primary).
        case readWrite = "read-write"
        /// A server in read-only mode.
        case readOnly = "read-only"
        /// A server not in recovery, even one whose transactions default to read-only (unlike `readWrite`).
        case primary
        /// A server in recovery (`pg_is_in_recovery()`).
        case standby
    }

    /// Every TCP endpoint to try, in order.
    public var endpoints: [(host: String, port: Int)] { (host.map { [($0, port)] } ?? []) + alternates }

    public static func == (lhs: PostgresURL, rhs: PostgresURL) -> Bool {
        lhs.user == rhs.user && lhs.password == rhs.password && lhs.host == rhs.host && lhs.port == rhs.port && lhs.database == rhs.database
            && lhs.socketDirectory == rhs.socketDirectory && lhs.sslMode == rhs.sslMode && lhs.sessionAttributes == rhs.sessionAttributes
            && lhs.alternates.map { "\($0.host):\($0.port)" } == rhs.alternates.map { "\($0.host):\($0.port)" }
    }

    static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a URL; `environment` supplies `PGPASSWORD` when the URL has no password.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let shown = Self.redacted(text)
        func bad(_ reason: String) -> StoreError { .badLocation("\(shown): \(reason)") }
        // Several hosts (`h1:p1,h2:p2`) are not a URL authority Foundation parses: the first stays in the URL,
        // the others are read here.
        var text = text
        var others: [(host: String, port: Int)] = []
        if let schemeEnd = text.range(of: "://") {
            let afterScheme = text[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
            let authority = afterScheme[..<authorityEnd]
            let hostsStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
            let hosts = authority[hostsStart...].split(separator: ",", omittingEmptySubsequences: false)
            if hosts.count > 1 {
                for entry in hosts.dropFirst() {
                    let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
                    guard !entry.isEmpty, parts.count <= 2, !parts[0].isEmpty else { throw bad("\"\(entry)\" is not HOST[:PORT] in the list of hosts") }
                    let port = parts.count == 2 ? Int(parts[1]) : 5432
                    guard let port, (1...65535).contains(port) else { throw bad("\"\(entry)\" has no valid port") }
                    others.append((String(parts[0]), port))
                }
                text.replaceSubrange(hostsStart..<authorityEnd, with: hosts[0])
            }
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw bad("not a URL of the form postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw bad("names no user (postgres://USER@HOST/DATABASE)")
        }
        let database = String(components.path.dropFirst()).removingPercentEncoding ?? ""
        guard !database.isEmpty, !database.contains("/") else { throw bad("names no database (postgres://USER@HOST/DATABASE)") }
        self.user = user
        self.database = database
        password = components.password?.removingPercentEncoding ?? environment["PGPASSWORD"]
        port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("port \(port) is out of range") }
        let host = components.host?.removingPercentEncoding ?? ""
        self.host = host.isEmpty ? nil : host
        socketDirectory = nil
        sslMode = .prefer
        alternates = others
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "host":
                guard value.hasPrefix("/") else { throw bad("host=\(value) must be an absolute socket directory (use the URL's host part for a host name)") }
                socketDirectory = value
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw bad("sslmode=\(value) is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "port":
                guard let port = Int(value), (1...65535).contains(port) else { throw bad("port=\(value) is not a port") }
                self.port = port
            case "target_session_attrs":
                guard let attributes = SessionAttributes(rawValue: value) else {
                    throw bad("target_session_attrs=\(value) is not one of \(SessionAttributes.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sessionAttributes = attributes
            default:
                throw bad("unknown parameter \(item.name) (known: host, port, sslmode, target_session_attrs)")
            }
        }
        guard self.host != nil || socketDirectory != nil else { throw bad("names no host (postgres://USER@HOST/DATABASE, or ?host=/socket/dir)") }
        guard others.isEmpty || socketDirectory == nil else { throw bad("several hosts and a socket directory (?host=/dir) do not go together") }
        if socketDirectory != nil { sslMode = .disable }
    }

    /// Where the server is, for messages: `HOST:PORT` (each, when several) or the socket's path.
    public var endpoint: String {
        if let socketDirectory { return "\(socketDirectory)/.s.PGSQL.\(port)" }
        return endpoints.map { "\($0.host):\($0.port)" }.joined(separator: ",")
    }

    /// The URL without the password.
    public var description: String {
        var text = "postgres://\(user)@\(host ?? "")"
        if host != nil && port != 5432 { text += ":\(port)" }
        for other in alternates { text += "," + other.host + (other.port == 5432 ? "" : ":\(other.port)") }
        text += "/\(database)"
        var query: [String] = []
        if let socketDirectory { query.append("host=\(socketDirectory)"); if port != 5432 { query.append("port=\(port)") } }
        if sslMode != .prefer && socketDirectory == nil { query.append("sslmode=\(sslMode.rawValue)") }
        if sessionAttributes != .any { query.append("target_session_attrs=\(sessionAttributes.rawValue)") }
        return query.isEmpty ? text : text + "?" + query.joined(separator: "&")
    }

    /// `text` with any password replaced by `***`, for messages about a URL that does not parse.
    static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return text }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(rest[at...])
    }
}
