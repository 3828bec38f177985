import DockerStandIn
import Foundation
import NIOConcurrencyHelpers
import RouteLedgerCore
import RouteLedgerDocker
import Testing
import TestSupport

@Suite("The Engine API client, against the stand-in daemon")
struct DockerClientTests {
    static func client(_ standIn: DockerStandIn, timeout: Duration = Patience.duration, maximumResponseSize: Int = 512 << 20) -> DockerClient {
        DockerClient(endpoint: DockerEndpoint(address: .unix(path: standIn.socketPath)), timeout: timeout, maximumResponseSize: maximumResponseSize)
    }

    @Test("version, then the three lists in the negotiated API version")
    func listing() async throws {
        let standIn = try await startStandIn(serving: "01-create")
        let client = Self.client(standIn)
        let version = try await client.version()
        #expect(version.engineVersion == "27.0.1")
        let listing = try await client.listing(api: DockerAPIVersion(1, 47))
        #expect(listing == (try Fixtures.listing("01-create")))
        #expect(standIn.requests == ["GET /version", "GET /v1.47/networks", "GET /v1.47/services", "GET /v1.47/tasks"])
        await standIn.stop()
    }

    @Test("no daemon at the socket: one line naming the host and the reason")
    func unreachable() async throws {
        let client = DockerClient(endpoint: try DockerEndpoint("unix:///tmp/routeledger-no-such-daemon.sock"))
        await #expect {
            try await client.version()
        } throws: { error in
            "\(error)" == "cannot reach the Docker daemon at unix:///tmp/routeledger-no-such-daemon.sock: no such socket (is Docker running? --host or DOCKER_HOST names another daemon)"
        }
    }

    @Test("an error status carries the daemon's message")
    func errorStatus() async throws {
        let standIn = try await startStandIn()
        standIn.fail(next: 1)
        await #expect {
            try await Self.client(standIn).listing(api: DockerAPIVersion(1, 47))
        } throws: { error in
            guard case DockerError.status(_, let request, let code, let message) = error else { return false }
            return request == "GET /v1.47/networks" && code == 500 && message.contains("failing on purpose")
        }
        await #expect(throws: DockerError.self) { try await Self.client(standIn).get("/v1.47/nodes") }
        await standIn.stop()
    }

    @Test("a daemon that does not answer is given up on after the timeout")
    func timeout() async throws {
        let standIn = try await startStandIn()
        standIn.hang(true)
        let started = ContinuousClock.now
        await #expect {
            try await Self.client(standIn, timeout: .milliseconds(300)).get("/v1.47/tasks")
        } throws: { error in
            guard case DockerError.timeout(_, let request, _) = error else { return false }
            return request == "GET /v1.47/tasks"
        }
        // The stand-in never answers, so any return is the timeout's. The bound is loose: when other suites keep
        // the (two-thread) cooperative pool busy, the timer's task waits for a thread.
        #expect(ContinuousClock.now - started < Patience.duration, "the daemon never answers: only the timeout ends the request")
        await standIn.stop()
    }

    @Test("a response over the size limit is refused")
    func tooLarge() async throws {
        let standIn = try await startStandIn()
        await #expect(throws: DockerError.responseTooLarge(request: "GET /v1.47/tasks", limit: 1024)) {
            try await Self.client(standIn, maximumResponseSize: 1024).get("/v1.47/tasks")
        }
        await standIn.stop()
    }

    @Test("/events: opened, each message delivered in order, and the watch ends when the daemon drops the stream")
    func events() async throws {
        let standIn = try await startStandIn()
        let client = Self.client(standIn)
        let received = NIOLockedValueBox<[String]>([])
        let opened = NIOLockedValueBox(false)
        let watch = Task {
            try await client.watchEvents(api: DockerAPIVersion(1, 47), types: ["service", "network", "container"],
                                         onOpen: { opened.withLockedValue { $0 = true } },
                                         onMessage: { message in received.withLockedValue { $0.append("\(message.type) \(message.action)") } })
        }
        #expect(await standIn.wait { standIn.openEventStreams == 1 && opened.withLockedValue { $0 } })
        #expect(standIn.requests.last?.hasPrefix("GET /v1.47/events") == true)
        for line in String(decoding: try Fixtures.bytes("events.jsonl"), as: UTF8.self).split(separator: "\n") {
            standIn.emit(String(line))
        }
        #expect(await standIn.wait { received.withLockedValue { $0.count } == 4 })
        #expect(received.withLockedValue { $0 } == ["service update", "container start", "network create", "service remove"])
        standIn.dropEventStreams()
        try await watch.value
        await standIn.stop()
    }

    @Test("cancelling a watch closes the stream at once")
    func cancelWatch() async throws {
        let standIn = try await startStandIn()
        let client = Self.client(standIn)
        let watch = Task {
            try await client.watchEvents(api: DockerAPIVersion(1, 47), types: ["service"], onOpen: {}, onMessage: { _ in })
        }
        #expect(await standIn.wait { standIn.openEventStreams == 1 })
        let started = ContinuousClock.now
        watch.cancel()
        _ = await watch.result
        #expect(ContinuousClock.now - started < Patience.duration, "far sooner than the stream would end by itself (never)")
        #expect(await standIn.wait { standIn.openEventStreams == 0 })
        await standIn.stop()
    }

    @Test("a watch cancelled while it connects closes its connection (no channel is dropped unclosed)")
    func cancelWhileConnecting() async throws {
        let standIn = try await startStandIn()
        let client = Self.client(standIn)
        // Cancelled at once, the connect is usually still in flight: a channel it yields must still be closed
        // (dropping it unclosed traps in NIOAsyncWriter's deinit in debug builds and leaks the connection).
        for _ in 1...100 {
            let watch = Task {
                try await client.watchEvents(api: DockerAPIVersion(1, 47), types: ["service"], onOpen: {}, onMessage: { _ in })
            }
            watch.cancel()
            _ = await watch.result
        }
        #expect(await standIn.wait { standIn.openEventStreams == 0 })
        await standIn.stop()
    }
}
