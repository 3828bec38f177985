import Foundation

/// A certificate authority made with openssl for one test, and the certificates it signs: what TLS tests
/// need without any file checked in (every key is made at test time, valid for a day).
public struct TestCA: Sendable {
    /// The directory the files are written to.
    public let directory: String
    /// The CA's certificate (PEM): what a client or a proxy trusts.
    public let certificate: String
    private let key: String

    /// Makes a CA named `name` in `directory` (files `<file>.pem`, `<file>.key`).
    public init(in directory: String, name: String = "RouteLedger test CA", file: String = "ca") async throws {
        self.directory = directory
        certificate = directory + "/\(file).pem"
        key = directory + "/\(file).key"
        try await Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                          "-out", certificate, "-days", "1", "-subj", "/CN=\(name)"])
    }

    /// A server certificate for `names` (DNS names or IP addresses) with `commonName` (default: the first
    /// name), signed by this CA: `<file>.pem` and `<file>.key` in the directory.
    @discardableResult
    public func issue(_ file: String, for names: [String], commonName: String? = nil) async throws -> (certificate: String, key: String) {
        let base = directory + "/" + file
        let alternatives = names.map { $0.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? "IP:\($0)" : "DNS:\($0)" }
        try "subjectAltName=\(alternatives.joined(separator: ","))\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        try await Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", base + ".key",
                          "-out", base + ".csr", "-subj", "/CN=\(commonName ?? names[0])"])
        try await Self.openssl(["x509", "-req", "-in", base + ".csr", "-CA", certificate, "-CAkey", key, "-CAcreateserial",
                          "-out", base + ".pem", "-days", "1", "-extfile", base + ".ext"])
        return (base + ".pem", base + ".key")
    }

    private static func openssl(_ arguments: [String]) async throws {
        let made = try await Command.run("/usr/bin/openssl", arguments)
        guard made.status == 0 else { throw OpenSSLFailed(description: "openssl \(arguments[0]) failed: \(made.output)") }
    }

    struct OpenSSLFailed: Error, CustomStringConvertible { let description: String }
}
