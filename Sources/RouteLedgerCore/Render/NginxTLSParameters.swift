/// The TLS settings of a rendered nginx configuration by the names the feed's query and the CLI give them
/// (`tls_port` is `--tls-port`), checked in one place.
extension NginxSettings {
    /// The parameters, in the order `--help` lists them.
    public static let tlsParameters = ["tls_port", "termination_port", "secrets_dir", "backend_ca", "stream_module"]

    /// Sets the parameter `name` to `value`; returns what is wrong with the value (nothing is set then).
    public mutating func set(_ name: String, to value: String) -> String? {
        func port() -> Int? { Int(value).flatMap { (1...65535).contains($0) ? $0 : nil } }
        func path() -> String? { Self.isPlainPath(value) ? value : nil }
        let plainPath = "is not an absolute path of plain characters (letters, digits, / . _ - + @ = ,)"
        switch name {
        case "tls_port":
            guard let port = port() else { return "\(value) is not a port from 1 to 65535" }
            tlsPort = port
        case "termination_port":
            guard let port = port() else { return "\(value) is not a port from 1 to 65535" }
            terminationPort = port
        case "secrets_dir":
            guard var directory = path() else { return "\"\(value)\" \(plainPath)" }
            while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
            secretsDirectory = directory
        case "backend_ca":
            guard let file = path() else { return "\"\(value)\" \(plainPath)" }
            backendCA = file
        case "stream_module":
            if value == "none" { streamModule = nil; return nil }
            guard let file = path() else { return "\"\(value)\" is not none or an absolute path of plain characters" }
            streamModule = file
        default:
            return "\(name) is not a TLS setting of the nginx configuration"
        }
        return nil
    }
}
