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
        try await agentFailover(client: client, tokenFile: tokenFile, directory: directory, newTask: newTask)
        try await client.shutdown()
    }

    /// An agent given both replicas, with a stand-in nginx that accepts everything: from an append to the
    /// agent's file holding the new version, (1) with the agent's replica up (the baseline) and (2) right
    /// after `kill -9` of that replica (the agent moves to the other). The killed replica is started again
    /// before the next round, on the same port.
    private func agentFailover(client: HTTPClient, tokenFile: String, directory: URL, newTask: () -> String) async throws {
        let nginx = directory.appendingPathComponent("nginx-stand-in").path
        try "#!/bin/sh\nexit 0\n".write(toFile: nginx, atomically: true, encoding: .utf8)
        chmod(nginx, 0o755)
        let ports = [freePort(), freePort()]
        func start(_ port: Int) throws -> Process {
            let server = Process()
            server.executableURL = URL(fileURLWithPath: routeledger)
            server.arguments = ["serve", "--db", database, "--listen", "127.0.0.1:\(port)", "--token-file", tokenFile, "--poll", "1h"]
            server.standardError = FileHandle.nullDevice
            try server.run()
            return server
        }
        func ready(_ port: Int) async throws {
            let started = ContinuousClock.now
            while (try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(5)))?.status != .ok {
                if ContinuousClock.now - started > .seconds(30) { fatalError("a replica did not start") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        func watchers(_ port: Int) async -> Double {
            guard let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(5)),
                  let body = try? await response.body.collect(upTo: 1 << 20) else { return -1 }
            return String(buffer: body).split(separator: "\n").first { $0.hasPrefix("routeledger_watchers ") }
                .flatMap { Double($0.split(separator: " ")[1]) } ?? -1
        }
        var servers = try ports.map(start)
        for port in ports { try await ready(port) }
        let conf = directory.appendingPathComponent("nginx.conf").path
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: routeledger)
        agent.arguments = ["agent", "--server", ports.map { "http://127.0.0.1:\($0)" }.joined(separator: ","), "--nginx-conf", conf,
                           "--nginx-bin", nginx, "--reload-cmd", "true", "--token-file", tokenFile, "--proxy-id", "bench", "--wait", "300s"]
        agent.standardError = FileHandle.nullDevice
        agent.standardOutput = FileHandle.nullDevice
        try agent.run()
        defer {
            kill(agent.processIdentifier, SIGTERM)
            agent.waitUntilExit()
            for server in servers where server.isRunning {
                kill(server.processIdentifier, SIGTERM)
                server.waitUntilExit()
            }
        }
        func version() -> String? {
            guard let text = try? String(contentsOfFile: conf, encoding: .utf8) else { return nil }
            return text.split(separator: "\n", maxSplits: 8).first { $0.hasPrefix("# config version: ") }.map { String($0.dropFirst(18)) }
        }
        /// Appends through the replica the agent is not on (after killing the one it is on, or not), then waits
        /// until the agent's file changes; milliseconds from the append's start (the kill's, when killing).
        func applied(on index: Int, killing: Bool) async throws -> Double {
            let before = version()
            let t0 = ContinuousClock.now
            if killing {
                kill(servers[index].processIdentifier, SIGKILL)
                servers[index].waitUntilExit()
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(ports[1 - index])/v1/events")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer bench-token")
            request.body = .bytes(ByteBuffer(string: newTask() + "\n"))
            let response = try await client.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code < 300 else { fatalError("POST failed: \(response.status)") }
            while version() == before {
                if ContinuousClock.now - t0 > .seconds(60) { fatalError("the agent did not apply the new version") }
                try await Task.sleep(for: .milliseconds(2))
            }
            return milliseconds(ContinuousClock.now - t0)
        }
        var baseline: [Double] = [], failover: [Double] = []
        let rounds = max(10, self.rounds / 10)
        for _ in 0..<rounds {
            // The agent long-polls one replica: find which.
            var on: Int?
            let started = ContinuousClock.now
            while on == nil {
                for (index, port) in ports.enumerated() where servers[index].isRunning {
                    if await watchers(port) >= 1 { on = index }
                }
                if ContinuousClock.now - started > .seconds(60) { fatalError("the agent does not long-poll") }
                if on == nil { try await Task.sleep(for: .milliseconds(5)) }
            }
            baseline.append(try await applied(on: on!, killing: false))
            while await watchers(ports[on!]) < 1 { try await Task.sleep(for: .milliseconds(5)) }
            failover.append(try await applied(on: on!, killing: true))
            servers[on!] = try start(ports[on!])
            try await ready(ports[on!])
            // Warm the restarted replica (its first append folds the tail after the last snapshot): not measured.
            _ = try await applied(on: 1 - on!, killing: false)
        }
        func line(_ name: String, _ values: [Double]) -> String {
            String(format: "%@: p50 %.1f ms, max %.1f ms", name, percentile(values, 0.5), values.max()!)
        }
        print("agent with both replicas, over \(rounds) rounds (each append through the replica the agent is not on):")
        print("  " + line("kill -9 of the agent's replica, append -> the agent's file holds the new version", failover))
        print("  " + line("baseline: the same with the replica up", baseline))
        print(String(format: "  ratio failover/baseline: p50 %.2f", percentile(failover, 0.5) / percentile(baseline, 0.5)))
    }
}
