import Foundation

/// Running a program from a test.
public enum Command {
    /// Runs a program to completion (at most `timeout` seconds), in `directory` when given, returning its
    /// exit status and its stdout and stderr together.
    public static func run(_ program: String, _ arguments: [String], timeout: TimeInterval = 30,
                           in directory: String? = nil, environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let result = try runCapturingBytes(program, arguments, timeout: timeout, in: directory, environment: environment)
        return (result.status, String(decoding: result.output, as: UTF8.self))
    }

    /// ``run(_:_:timeout:in:environment:)``, with the output as bytes.
    public static func runCapturingBytes(_ program: String, _ arguments: [String], timeout: TimeInterval = 30,
                                         in directory: String? = nil, environment: [String: String]? = nil) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return (process.terminationStatus, output)
    }
}
