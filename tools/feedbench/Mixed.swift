import AsyncHTTPClient
import Foundation
import NIOCore

/// The mixed read load of issue 14 on an existing log: `readers` clients that each loop over a page of
/// reloads (`GET /v1/reloads?limit=50` at a random cursor) and the routing now (`GET /v1/routes`), with
/// `--mix page` also a host's timeline (`GET /v1/timeline?host=H`) and the timeline page (`GET /?host=H`),
/// while one writer appends an
/// event every 100 ms (a task's desired state flipped, which reloads its proxy). Baseline in the same run,
/// under the same load: `GET /healthz`. Prints p50 and p99 per request and their ratio to the baseline.
struct MixedBench {
    let routeledger: String
    let database: String
    let readers: Int
    let seconds: Int
    /// `api`: the mix (pages of reloads and the routing now); `page`: the timeline and the page too.
    let mix: String

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mixed-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = "bench-token"
        try Data(token.utf8).write(to: directory.appendingPathComponent("token"))
        chmod(directory.appendingPathComponent("token").path, 0o600)
        let port = freePort()
        let base = "http://127.0.0.1:\(port)"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: routeledger)
        server.arguments = ["serve", "--db", database, "--listen", "127.0.0.1:\(port)", "--token-file", directory.appendingPathComponent("token").path]
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: readers + 8)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

        @Sendable func get(_ path: String) async throws -> (UInt, ByteBuffer) {
            let response = try await client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(60))
            return (response.status.code, try await response.body.collect(upTo: 256 << 20))
        }
        let started = ContinuousClock.now
        while (try? await get("/healthz"))?.0 != 200 {
            if ContinuousClock.now - started > .seconds(120) { fatalError("the server did not start") }
            try await Task.sleep(for: .milliseconds(50))
        }
        print(String(format: "server ready after %.1f s (opening the log)", milliseconds(ContinuousClock.now - started) / 1000))

        // What to ask for: the newest reload id, the host with the most upstreams, a task to flip.
        let (_, newest) = try await get("/v1/reloads?before=\(Int32.max)&limit=1")
        let lastReload = (try JSONSerialization.jsonObject(with: Data(newest.readableBytesView)) as? [[String: Any]])?.last?["id"] as? Int ?? 1
        let (_, hostsBody) = try await get("/v1/hosts")
        let hosts = try JSONSerialization.jsonObject(with: Data(hostsBody.readableBytesView)) as? [[String: Any]] ?? []
        guard let host = hosts.max(by: { ($0["upstreams"] as? Int ?? 0) < ($1["upstreams"] as? Int ?? 0) })?["host"] as? String else {
            fatalError("the log routes no host")
        }
        let (_, lastSeqBody) = try await get("/v1/routes")
        let seq = (try JSONSerialization.jsonObject(with: Data(lastSeqBody.readableBytesView)) as? [String: Any])?["seq"] as? Int ?? 0
        let task = try await flippableTask(get, near: seq)
        print("log: \(database), seq \(seq), \(lastReload) reloads, \(hosts.count) hosts; page host \(host); \(readers) readers (mix \(mix)), 1 writer, \(seconds) s")

        let kinds = ["reloads page", "routes", "timeline", "page", "baseline: healthz"]
        let deadline = ContinuousClock.now + .seconds(seconds)
        let results = try await withThrowingTaskGroup(of: [String: [Double]].self) { group in
            for reader in 0..<readers {
                group.addTask {
                    var times: [String: [Double]] = [:]
                    var generator = SystemRandomNumberGenerator()
                    var step = reader
                    while ContinuousClock.now < deadline {
                        let choices = mix == "page" ? [0, 0, 1, 2, 3] : [0, 1]
                        let kind = step % 5 == 4 ? kinds[4] : kinds[choices[Int.random(in: 0..<choices.count, using: &generator)]]
                        let path: String
                        switch kind {
                        case "reloads page": path = "/v1/reloads?limit=50&before=\(Int.random(in: 2...max(2, lastReload + 1), using: &generator))"
                        case "routes": path = "/v1/routes"
                        case "timeline": path = "/v1/timeline?host=\(host)"
                        case "page": path = "/?host=\(host)"
                        default: path = "/healthz"
                        }
                        let t0 = ContinuousClock.now
                        let (status, _) = try await get(path)
                        guard status == 200 else { fatalError("\(path): HTTP \(status)") }
                        times[kind, default: []].append(milliseconds(ContinuousClock.now - t0))
                        step += 1
                    }
                    return times
                }
            }
            group.addTask {
                var times: [String: [Double]] = [:]
                var round = 0
                let run = UUID().uuidString.prefix(8)
                while ContinuousClock.now < deadline {
                    round += 1
                    let line = task.replacingOccurrences(of: "__ID__", with: "mixed-bench-\(run)-\(round)")
                        .replacingOccurrences(of: "__DESIRED__", with: round % 2 == 1 ? "shutdown" : "running")
                    var request = HTTPClientRequest(url: base + "/v1/events")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    request.body = .bytes(ByteBuffer(string: line + "\n"))
                    let t0 = ContinuousClock.now
                    let response = try await client.execute(request, timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    guard response.status.code < 300 else { fatalError("POST: \(String(buffer: body))") }
                    times["writer: POST /v1/events", default: []].append(milliseconds(ContinuousClock.now - t0))
                    try await Task.sleep(for: .milliseconds(100))
                }
                return times
            }
            var all: [String: [Double]] = [:]
            for try await times in group { all.merge(times) { $0 + $1 } }
            return all
        }
        let (_, after) = try await get("/v1/reloads?before=\(Int32.max)&limit=1")
        let reloadsAfter = (try JSONSerialization.jsonObject(with: Data(after.readableBytesView)) as? [[String: Any]])?.last?["id"] as? Int ?? 0
        print("the writer's appends made \(reloadsAfter - lastReload) reloads")
        try await client.shutdown()
        let baseline = results["baseline: healthz"] ?? [1]
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; release build; loopback; SQLite synchronous=FULL")
        for kind in kinds + ["writer: POST /v1/events"] {
            guard let values = results[kind], !values.isEmpty else { continue }
            print(String(format: "  %-26@ n %6d  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  p99/baseline p99 %6.1f",
                         kind as NSString, values.count, percentile(values, 0.5), percentile(values, 0.99), values.max()!,
                         percentile(values, 0.99) / percentile(baseline, 0.99)))
        }
    }

    /// A `task.updated` of a task that is an upstream now (task mode), as a template whose id and desired
    /// state the writer fills in: flipping it drains the task and brings it back, a reload each time.
    func flippableTask(_ get: @Sendable (String) async throws -> (UInt, ByteBuffer), near seq: Int) async throws -> String {
        let (_, routesBody) = try await get("/v1/routes")
        let routes = try JSONSerialization.jsonObject(with: Data(routesBody.readableBytesView)) as? [String: Any] ?? [:]
        let upstreamTasks = Set(((routes["frontends"] as? [[String: Any]]) ?? []).flatMap { ($0["upstreams"] as? [[String: Any]]) ?? [] }
            .compactMap { $0["task"] as? String })
        var after = seq
        while after > 0 {
            after = max(0, after - 1_000)
            let (_, body) = try await get("/v1/events?after=\(after)&limit=1000")
            let events = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]] ?? []
            for event in events.reversed() where event["type"] as? String == "task.updated" {
                guard var data = event["data"] as? [String: Any], var task = data["task"] as? [String: Any],
                      let id = task["id"] as? String, upstreamTasks.contains(id), task["state"] as? String == "running" else { continue }
                task["desiredState"] = "__DESIRED__"
                data["task"] = task
                let object: [String: Any] = ["id": "__ID__", "type": "task.updated", "data": data]
                return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            }
            if seq - after > 50_000 { break }
        }
        fatalError("no running task.updated of a task-mode upstream in the log's last 50,000 events")
    }
}
