import Foundation

/// The nginx binary tests run against: `$NGINX_BIN`, else `nginx` on the PATH, else `/usr/sbin/nginx`.
///
/// Tests that need nginx use ``Nginx/isRequired`` as their condition: without nginx they are skipped on a
/// workstation, but with `CI=true` they run and fail, so CI can never pass by not having nginx.
public enum Nginx {
    /// The binary's path, or nil when none is installed.
    public static let path: String? = {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment["NGINX_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        for directory in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(directory)/nginx") }
        candidates += ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether the running suite is CI's (`CI=true`).
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Run the nginx tests: nginx is installed, or this is CI (where its absence must fail them).
    public static var shouldRun: Bool { path != nil || isCI }

    /// The binary, or an error that names what is missing.
    public static func binary() throws -> String {
        guard let path else { throw MissingNginx() }
        return path
    }

    struct MissingNginx: Error, CustomStringConvertible {
        var description: String { "nginx is not installed (CI=true requires it; .ci/run installs it, or set NGINX_BIN)" }
    }

    /// Runs `nginx -t` on `config` in a fresh prefix directory; returns nginx's output when it refuses.
    public static func test(config: String) async throws -> (ok: Bool, output: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-t-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("nginx.conf")
        try config.write(to: file, atomically: true, encoding: .utf8)
        let result = try await Command.run(try binary(), ["-t", "-q", "-p", directory.path, "-e", directory.appendingPathComponent("error.log").path,
                                            "-c", file.path, "-g", "pid \(directory.path)/nginx.pid;"])
        return (result.status == 0, result.output)
    }
}
