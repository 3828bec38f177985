import Foundation

/// A process a test starts and stops itself, by process id, with its output in files of the test's
/// directory (read them when something fails).
public final class BackgroundProcess: @unchecked Sendable {
    /// The process id.
    public let pid: Int32
    /// What it printed on stdout and stderr.
    public let logPath: String
    private let process: Process

    /// Starts `program` with `arguments`; output goes to `logPath`. ``Reaper`` stops it when the test process
    /// dies first, unless `reaped` is false (a server with a tear-down of its own).
    public init(_ program: String, _ arguments: [String], logPath: String, environment: [String: String]? = nil, reaped: Bool = true) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        pid = process.processIdentifier
        self.logPath = logPath
        if reaped { try Reaper.watch(pid) }
    }

    /// Whether it still runs.
    public var isRunning: Bool { process.isRunning }

    /// Its exit status once it has exited (nil while it runs, or when a signal ended it).
    public var exitStatus: Int32? {
        guard !process.isRunning, process.terminationReason == .exit else { return nil }
        return process.terminationStatus
    }

    /// Its output so far.
    public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` (SIGTERM by default), waits up to `grace` seconds, then kills it.
    public func stop(signal: Int32 = SIGTERM, grace: TimeInterval = 5) {
        guard process.isRunning else { return }
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Stops a test's child processes when the test process dies without stopping them (a crash, a kill): a
/// `defer` or `stop()` never runs then, and a server would outlive the suite.
public enum Reaper {
    /// Starts a small shell beside `pid` that, once this test process is gone, sends the child SIGTERM and,
    /// 2 s later, SIGKILL (nginx's workers leave with their master), then removes `directory` if given. It
    /// exits by itself when the child does.
    public static func watch(_ pid: Int32, removing directory: String? = nil) throws {
        let cleanup = directory.map { "; sleep 1; rm -rf '\($0)'" } ?? ""
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do kill -0 \(pid) 2>/dev/null || exit 0; sleep 0.5; done
            kill -TERM \(pid) 2>/dev/null; sleep 2; kill -KILL \(pid) 2>/dev/null\(cleanup)
            """
        let reaper = Process()
        reaper.executableURL = URL(fileURLWithPath: "/bin/sh")
        reaper.arguments = ["-c", script]
        reaper.standardInput = FileHandle.nullDevice
        reaper.standardOutput = FileHandle.nullDevice
        reaper.standardError = FileHandle.nullDevice
        try reaper.run()
    }
}

/// A free TCP port on 127.0.0.1 (bound and released, so another process may race for it: rare).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
