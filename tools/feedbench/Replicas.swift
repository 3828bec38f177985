// The replica benchmark (issue 12): two `serve` replicas on one PostgreSQL log. An append is POSTed to
// replica A while a long-poll waits on replica B (the notification crosses PostgreSQL's LISTEN/NOTIFY), and,
// as the baseline in the same run, while a long-poll waits on A itself. Rounds alternate between the two.
import AsyncHTTPClient
import Foundation
import NIOCore

struct ReplicaBench {
    let routeledger: String
    let database: String
    let rounds: Int

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replica-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tokenFile = directory.appendingPathComponent("token").path
        try Data("bench-token".utf8).write(to: URL(fileURLWithPath: tokenFile))
        chmod(tokenFile, 0o600)
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)

        // Polls once an hour: only a notification wakes a replica within a round.
        func start() throws -> (Process, String) {
            let port = freePort()
            let server = Process()
            server.executableURL = URL(fileURLWithPath: routeledger)
            server.arguments = ["serve", "--db", database, "--listen", "127.0.0.1:\(port)", "--token-file", tokenFile, "--poll", "1h"]
            server.standardError = FileHandle.nullDevice
            try server.run()
            return (server, "http://127.0.0.1:\(port)")
        }
        let (a, baseA) = try start()
        let (b, baseB) = try start()
        defer {
            for server in [a, b] {
                kill(server.processIdentifier, SIGTERM)
                server.waitUntilExit()
            }
        }

        func get(_ url: String, etag: String? = nil, timeout: Int64 = 10) async throws -> String? {
            var request = HTTPClientRequest(url: url)
            if let etag { request.headers.add(name: "If-None-Match", value: etag) }
            let response = try await client.execute(request, timeout: .seconds(timeout))
            _ = try await response.body.collect(upTo: 1 << 20)
            return response.headers.first(name: "ETag")
        }
        func post(_ line: String) async throws {
            var request = HTTPClientRequest(url: baseA + "/v1/events")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer bench-token")
            request.body = .bytes(ByteBuffer(string: line + "\n"))
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code < 300 else { fatalError("POST failed: \(String(buffer: body))") }
        }
        for base in [baseA, baseB] {
            let started = ContinuousClock.now
            while true {
                if (try? await client.execute(HTTPClientRequest(url: base + "/readyz"), timeout: .seconds(5)))?.status == .ok { break }
                if ContinuousClock.now - started > .seconds(30) { fatalError("a replica did not start") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let run = UUID().uuidString.prefix(8)
        try await post(#"{"id":"rb-\#(run)-net","type":"network.created","data":{"network":{"id":"n-rb\#(run)","name":"rb\#(run)","driver":"overlay"}}}"#)
        try await post(#"{"id":"rb-\#(run)-svc","type":"service.created","data":{"service":{"id":"s-rb\#(run)","name":"rb\#(run)","labels":{"com.docker.lb.hosts":"rb\#(run).local","com.docker.lb.port":"80"},"networks":["n-rb\#(run)"],"vips":[]}}}"#)
        var task = 0
        func newTask() -> String {
            task += 1
            return #"{"id":"rb-\#(run)-t\#(task)","type":"task.updated","data":{"task":{"id":"rb\#(run)-t\#(task)","serviceId":"s-rb\#(run)","state":"running","desiredState":"running","addresses":[{"networkId":"n-rb\#(run)","addr":"10.2.\#(task / 250).\#(task % 250 + 1)/16"}]}}}"#
        }

        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; two replicas of \(routeledger) serve on one PostgreSQL log, loopback")
        var same: [Double] = [], cross: [Double] = []
        for round in 0..<(2 * rounds) {
            let waiterBase = round % 2 == 0 ? baseB : baseA
            let path = "/v1/clusters/_/nginx.conf"
            // Both replicas at the current version first, so the waiter holds it.
            let etag = try await get(baseA + path)!
            while try await get(waiterBase + path) != etag { try await Task.sleep(for: .milliseconds(5)) }
            let waiter = Task { () -> ContinuousClock.Instant in
                _ = try await get(waiterBase + path + "?wait=30s", etag: etag, timeout: 40)
                return ContinuousClock.now
            }
            try await Task.sleep(for: .milliseconds(20))
            let t0 = ContinuousClock.now
            try await post(newTask())
            let woke = try await waiter.value
            if waiterBase == baseB { cross.append(milliseconds(woke - t0)) } else { same.append(milliseconds(woke - t0)) }
        }
        func line(_ name: String, _ values: [Double]) -> String {
            String(format: "%@: p50 %.2f ms, p99 %.2f ms, max %.2f ms", name, percentile(values, 0.5), percentile(values, 0.99), values.max()!)
        }
        print("latency over \(rounds) appends each, alternating:")
        print("  " + line("append on A -> waiter on B notified", cross))
        print("  " + line("baseline: append on A -> waiter on A notified", same))
        print(String(format: "  ratio cross/same: p50 %.2f, p99 %.2f (goal: p99 within 2)",
                     percentile(cross, 0.5) / percentile(same, 0.5), percentile(cross, 0.99) / percentile(same, 0.99)))
        try await client.shutdown()
    }
}
