import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TestSupport

/// A stand-in for the Docker Engine API, for tests: HTTP/1.1 on a unix socket, serving scripted JSON in the
/// Engine API's shapes (`GET /version`, `/v1.NN/networks`, `/services`, `/tasks`) and a `/events` stream the
/// test feeds and can drop. Runs on the process's NIO threads; stopped by the test.
public final class DockerStandIn: Sendable {
    /// The socket path the stand-in listens on.
    public let socketPath: String
    let shared: Shared
    private let server: any Channel

    /// What the handlers read and the test changes.
    final class Shared: Sendable {
        struct State {
            var responses: [String: [UInt8]] = [:]
            var requests: [String] = []
            var eventStreams: [ObjectIdentifier: any Channel] = [:]
            var children: [ObjectIdentifier: any Channel] = [:]
            var failing: Int?
            var hanging = false
            var refusingEvents = false
        }
        let state = NIOLockedValueBox(State())
    }

    /// Starts listening at `socketPath` (an existing socket file there is replaced).
    public static func start(socketPath: String) async throws -> DockerStandIn {
        let shared = Shared()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StandInHandler(shared: shared))
                }
            }
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true)
            .get()
        return DockerStandIn(socketPath: socketPath, shared: shared, server: server)
    }

    private init(socketPath: String, shared: Shared, server: any Channel) {
        self.socketPath = socketPath
        self.shared = shared
        self.server = server
    }

    /// `unix://` and the socket path: what `--host` takes.
    public var host: String { "unix://" + socketPath }

    /// Serves `body` for `GET path` (`/version`, `/networks`, …; the `/v1.NN` prefix is ignored).
    public func serve(_ path: String, _ body: [UInt8]) {
        shared.state.withLockedValue { $0.responses[path] = body }
    }

    /// Serves the `networks.json`, `services.json` and `tasks.json` of a state folder.
    public func serve(state folder: URL) throws {
        for name in ["networks", "services", "tasks"] {
            serve("/" + name, [UInt8](try Data(contentsOf: folder.appendingPathComponent(name + ".json"))))
        }
    }

    /// Answers the next `count` list requests with HTTP 500, as a daemon in trouble would.
    public func fail(next count: Int) {
        shared.state.withLockedValue { $0.failing = count }
    }

    /// While on, list requests get no answer at all (the connection stays open): a daemon that hangs.
    public func hang(_ on: Bool) {
        shared.state.withLockedValue { $0.hanging = on }
    }

    /// While on, `/events` is answered with HTTP 503 instead of a stream.
    public func refuseEvents(_ on: Bool) {
        shared.state.withLockedValue { $0.refusingEvents = on }
    }

    /// Request paths received so far (`GET /v1.47/tasks`), oldest first.
    public var requests: [String] { shared.state.withLockedValue { $0.requests } }

    /// How many `/events` streams are open.
    public var openEventStreams: Int { shared.state.withLockedValue { $0.eventStreams.count } }

    /// Sends one event message (a JSON object) to every open `/events` stream, newline-terminated as dockerd does.
    public func emit(_ message: String) {
        let streams = shared.state.withLockedValue { Array($0.eventStreams.values) }
        for channel in streams {
            var buffer = channel.allocator.buffer(capacity: message.utf8.count + 1)
            buffer.writeString(message + "\n")
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    /// Closes every open `/events` stream, as a daemon restart (or a lossy proxy) does.
    public func dropEventStreams() {
        let streams = shared.state.withLockedValue { state in
            defer { state.eventStreams.removeAll() }
            return Array(state.eventStreams.values)
        }
        for channel in streams { channel.close(promise: nil) }
    }

    /// Stops listening, closes every connection and removes the socket file: the daemon goes away.
    public func stop() async {
        let children = shared.state.withLockedValue { state in
            defer {
                state.children.removeAll()
                state.eventStreams.removeAll()
            }
            return Array(state.children.values)
        }
        try? await server.close()
        for child in children { try? await child.close() }
        try? FileManager.default.removeItem(atPath: socketPath)
    }

    /// Waits until `condition` holds, checking every 20 ms, for at most `seconds` (by default the tests'
    /// ``Patience``: a bound against hangs, far above what a loaded run takes); returns whether it held.
    public func wait(upTo seconds: Double = Patience.seconds, until condition: () -> Bool) async -> Bool {
        await Patience.wait(upTo: seconds) { condition() }
    }
}

/// Answers one connection's requests from the shared responses.
final class StandInHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let shared: DockerStandIn.Shared

    init(shared: DockerStandIn.Shared) { self.shared = shared }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        shared.state.withLockedValue { $0.children[ObjectIdentifier(channel)] = channel }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let id = ObjectIdentifier(context.channel)
        shared.state.withLockedValue { state in
            state.children[id] = nil
            state.eventStreams[id] = nil
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
        let route = Self.route(path)
        let channel = context.channel
        let (body, failing, hanging) = shared.state.withLockedValue { state -> ([UInt8]?, Bool, Bool) in
            state.requests.append("\(head.method) \(path)")
            if route == "/events" {
                if state.refusingEvents { return (nil, true, false) }
                state.eventStreams[ObjectIdentifier(channel)] = channel
                return (nil, false, false)
            }
            if route != "/version" && state.hanging { return (nil, false, true) }
            if route != "/version", let count = state.failing, count > 0 {
                state.failing = count - 1
                return (nil, true, false)
            }
            return (state.responses[route], false, false)
        }
        if hanging { return }
        // As dockerd (Go's net/http) does: an HTTP/1.1 request without a Host header is a 400.
        if head.version == .http1_1 && !head.headers.contains(name: "Host") {
            respond(context, head, .badRequest, Array("missing required Host header".utf8))
            return
        }
        if route == "/events" && !failing {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Transfer-Encoding", value: "chunked")
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            return
        }
        if failing {
            respond(context, head, .internalServerError, Array(#"{"message":"rpc error: code = Unavailable desc = the stand-in is failing on purpose"}"#.utf8))
        } else if let body {
            respond(context, head, .ok, body)
        } else {
            respond(context, head, .notFound, Array(#"{"message":"page not found"}"#.utf8))
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Api-Version", value: "1.47")
        headers.add(name: "Connection", value: "close")
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// `/v1.47/tasks` → `/tasks`.
    static func route(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if let first = parts.first, first.hasPrefix("v1."), parts.count > 1 {
            return "/" + parts.dropFirst().joined(separator: "/")
        }
        return path
    }
}
