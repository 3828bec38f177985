import Foundation

/// Executables SwiftPM built next to the test bundle.
public enum Executables {
    /// The built `name` (e.g. `routeledger`): next to the test bundle, or in `.build/debug`.
    public static func url(_ name: String) -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/\(name)")
    }

    /// The repository's root (where `data/` lives).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// A fresh temporary directory, removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
    /// Its URL.
    public let url: URL

    /// Creates it.
    public init(_ prefix: String = "routeledger-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside it.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Removes it and everything in it.
    public func remove() { try? FileManager.default.removeItem(at: url) }
}
