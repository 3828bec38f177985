// routeledger-feed-bench: how fast an append reaches a waiting proxy, and what 1,000 held long-polls cost;
// with --mixed DB, the mixed read load of issue 14 on an existing log (Mixed.swift).
//
// Starts `routeledger serve` (a release build) on a fresh database on loopback, then
//  1. latency: a long-poll waits on GET /v1/clusters/_/nginx.conf?wait=30s; an event that changes the
//     cluster is POSTed; measured from sending the POST to the waiter's answer. Baseline in the same run:
//     the POST's own round trip (the durable append), and a GET /healthz round trip.
//  2. watchers: N long-polls held at once; the server's resident memory and open file descriptors are read
//     from /proc while they wait, then one append wakes them all; twice, to see that nothing accumulates.
import AsyncHTTPClient
import Foundation
import NIOCore

struct Options {
    var routeledger = ".build/release/routeledger"
    var rounds = 300
    var watchers = 1_000
    var hold = 10
    var synchronous = "full"
    /// A PostgreSQL log: run the replica benchmark on it instead.
    var postgres: String?
    /// An existing log: run the mixed read load on it instead (issue 14).
    var mixed: String?
    var readers = 32
    var mix = "api"
    var seconds = 20

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            let value = iterator.next() ?? ""
            switch argument {
            case "--routeledger": routeledger = value
            case "--rounds": rounds = Int(value) ?? rounds
            case "--watchers": watchers = Int(value) ?? watchers
            case "--hold": hold = Int(value) ?? hold
            case "--postgres": postgres = value
            case "--mixed": mixed = value
            case "--readers": readers = Int(value) ?? readers
            case "--mix": mix = value
            case "--seconds": seconds = Int(value) ?? seconds
            default:
                FileHandle.standardError.write(Data("usage: routeledger-feed-bench [--routeledger PATH] [--rounds N] [--watchers N] [--hold SECONDS] [--postgres URL] [--mixed DB [--readers N] [--seconds N] [--mix api|page]]\n".utf8))
                exit(2)
            }
        }
    }
}

let options = Options(CommandLine.arguments)
if let mixed = options.mixed {
    try await MixedBench(routeledger: options.routeledger, database: mixed, readers: options.readers, seconds: options.seconds, mix: options.mix).run()
    exit(0)
}
if let postgres = options.postgres {
    try await ReplicaBench(routeledger: options.routeledger, database: postgres, rounds: options.rounds).run()
    exit(0)
}
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("feed-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
let token = "bench-token"
try Data(token.utf8).write(to: directory.appendingPathComponent("token"))
chmod(directory.appendingPathComponent("token").path, 0o600)

func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

let port = freePort()
let base = "http://127.0.0.1:\(port)"
let server = Process()
server.executableURL = URL(fileURLWithPath: options.routeledger)
server.arguments = ["serve", "--db", directory.appendingPathComponent("bench.db").path, "--listen", "127.0.0.1:\(port)",
                    "--token-file", directory.appendingPathComponent("token").path]
server.standardError = FileHandle.nullDevice
try server.run()
let serverPID = server.processIdentifier
defer {
    kill(serverPID, SIGTERM)
    server.waitUntilExit()
    try? FileManager.default.removeItem(at: directory)
}

var configuration = HTTPClient.Configuration()
configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: options.watchers + 16)
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

func get(_ path: String, etag: String? = nil, timeout: Int64 = 10) async throws -> (status: UInt, etag: String?) {
    var request = HTTPClientRequest(url: base + path)
    if let etag { request.headers.add(name: "If-None-Match", value: etag) }
    let response = try await client.execute(request, timeout: .seconds(timeout))
    _ = try await response.body.collect(upTo: 1 << 20)
    return (response.status.code, response.headers.first(name: "ETag"))
}

func post(_ lines: [String]) async throws {
    var request = HTTPClientRequest(url: base + "/v1/events")
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    request.body = .bytes(ByteBuffer(string: lines.joined(separator: "\n") + "\n"))
    let response = try await client.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 1 << 20)
    guard response.status.code < 300 else { fatalError("POST failed: \(String(buffer: body))") }
}

var taskNumber = 0
@MainActor func newTask() -> String {
    taskNumber += 1
    let ip = "10.1.\(taskNumber / 250).\(taskNumber % 250 + 1)"
    return #"{"id":"bench-t\#(taskNumber)","type":"task.updated","data":{"task":{"id":"t\#(taskNumber)","serviceId":"s-bench","state":"running","desiredState":"running","addresses":[{"networkId":"n-bench","addr":"\#(ip)/16"}]}}}"#
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
}

/// Resident memory (kB) and open descriptors of a process, from /proc.
func usage(_ pid: Int32) -> (rssKB: Int, fds: Int) {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap { Int($0.split(separator: " ")[1]) } ?? -1
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    return (rss, fds)
}

// Wait for the server, then give it a network and a service to scale.
let started = ContinuousClock.now
while (try? await get("/healthz"))?.status != 200 {
    if ContinuousClock.now - started > .seconds(30) { fatalError("the server did not start") }
    try await Task.sleep(for: .milliseconds(50))
}
try await post([
    #"{"id":"bench-net","type":"network.created","data":{"network":{"id":"n-bench","name":"bench","driver":"overlay"}}}"#,
    #"{"id":"bench-svc","type":"service.created","data":{"service":{"id":"s-bench","name":"bench","labels":{"com.docker.lb.hosts":"bench.local","com.docker.lb.port":"80"},"networks":["n-bench"],"vips":[]}}}"#,
    newTask(),
])

print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; server: \(options.routeledger) serve (synchronous=FULL), loopback")

// 1. Latency.
var notify: [Double] = [], append: [Double] = [], health: [Double] = []
for _ in 0..<options.rounds {
    let etag = try await get("/v1/clusters/_/nginx.conf").etag!
    let waiter = Task { () -> ContinuousClock.Instant in
        _ = try await get("/v1/clusters/_/nginx.conf?wait=30s", etag: etag, timeout: 40)
        return ContinuousClock.now
    }
    try await Task.sleep(for: .milliseconds(20))
    let t0 = ContinuousClock.now
    try await post([newTask()])
    let t1 = ContinuousClock.now
    let woke = try await waiter.value
    notify.append(milliseconds(woke - t0))
    append.append(milliseconds(t1 - t0))
    let h0 = ContinuousClock.now
    _ = try await get("/healthz")
    health.append(milliseconds(ContinuousClock.now - h0))
}
func line(_ name: String, _ values: [Double]) -> String {
    String(format: "%@: p50 %.2f ms, p99 %.2f ms, max %.2f ms", name, percentile(values, 0.5), percentile(values, 0.99), values.max()!)
}
print("latency over \(options.rounds) appends:")
print("  " + line("append -> waiter notified", notify))
print("  " + line("baseline: POST /v1/events round trip (durable append)", append))
print("  " + line("baseline: GET /healthz round trip", health))
print(String(format: "  ratio notified/append: p50 %.2f, p99 %.2f", percentile(notify, 0.5) / percentile(append, 0.5), percentile(notify, 0.99) / percentile(append, 0.99)))

// 2. Watchers.
func metric(_ name: String) async throws -> Double {
    let response = try await client.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(10))
    let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
    return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
}

let idle = usage(serverPID)
print("watchers: server idle: RSS \(idle.rssKB) kB, \(idle.fds) fds")
for round in 1...2 {
    let etag = try await get("/v1/clusters/_/nginx.conf").etag!
    let waiters = (0..<options.watchers).map { _ in
        Task { () -> (UInt, ContinuousClock.Instant) in
            let answer = try await get("/v1/clusters/_/nginx.conf?wait=120s", etag: etag, timeout: 150)
            return (answer.status, ContinuousClock.now)
        }
    }
    let opening = ContinuousClock.now
    while try await metric("routeledger_watchers") < Double(options.watchers) {
        if ContinuousClock.now - opening > .seconds(60) {
            let registered = try await metric("routeledger_watchers")
            fatalError("only \(registered) watchers registered")
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    var samples: [(Int, Int)] = []
    for _ in 0..<max(1, options.hold / 2) {
        samples.append(usage(serverPID))
        try await Task.sleep(for: .seconds(2))
    }
    let held = try await metric("routeledger_watchers")
    let t0 = ContinuousClock.now
    try await post([newTask()])
    var statuses: [UInt: Int] = [:]
    var last = t0
    for waiter in waiters {
        let (status, at) = try await waiter.value
        statuses[status, default: 0] += 1
        last = max(last, at)
    }
    let after = usage(serverPID)
    let rss = samples.map(\.0), fds = samples.map(\.1)
    print("  round \(round): \(Int(held)) long-polls held \(options.hold) s: RSS \(rss.min()!)–\(rss.max()!) kB, fds \(fds.min()!)–\(fds.max()!); "
          + "one append woke all in \(String(format: "%.1f", milliseconds(last - t0))) ms (statuses \(statuses)); after: RSS \(after.rssKB) kB, \(after.fds) fds")
}
try await client.shutdown().get()
