/// Everything talking to the Docker daemon can fail at, in one line an operator can act on.
public enum DockerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `--host` (or `DOCKER_HOST`) is not a daemon address this client can use.
    case invalidHost(String, reason: String)
    /// No connection: no socket at the path, connection refused, unknown host, …
    case unreachable(endpoint: String, reason: String)
    /// The daemon did not answer within the time allowed.
    case timeout(endpoint: String, request: String, seconds: Double)
    /// The connection closed before the response was complete.
    case connectionClosed(endpoint: String, request: String)
    /// The daemon answered with an error status (its `message`, when it gave one).
    case status(endpoint: String, request: String, code: Int, message: String)
    /// A response that is not the JSON the Engine API documents.
    case malformedResponse(request: String, reason: String)
    /// A response larger than the client accepts.
    case responseTooLarge(request: String, limit: Int)
    /// A daemon too old for services and tasks as the ingest reads them.
    case unsupportedAPI(daemon: DockerAPIVersion)

    public var description: String {
        switch self {
        case .invalidHost(let host, let reason):
            return "invalid Docker host \"\(host)\": \(reason) (expected unix:///var/run/docker.sock or tcp://HOST:2375)"
        case .unreachable(let endpoint, let reason):
            return "cannot reach the Docker daemon at \(endpoint): \(reason) (is Docker running? --host or DOCKER_HOST names another daemon)"
        case .timeout(let endpoint, let request, let seconds):
            return "the Docker daemon at \(endpoint) did not answer \(request) within \(Self.format(seconds)) s"
        case .connectionClosed(let endpoint, let request):
            return "the Docker daemon at \(endpoint) closed the connection during \(request)"
        case .status(let endpoint, let request, let code, let message):
            let hint = code == 503 && message.contains("swarm") ? " (ingest needs a Swarm manager)" : ""
            return "the Docker daemon at \(endpoint) refused \(request): HTTP \(code)\(message.isEmpty ? "" : ": " + message)\(hint)"
        case .malformedResponse(let request, let reason):
            return "unexpected response to \(request): \(reason)"
        case .responseTooLarge(let request, let limit):
            return "the response to \(request) is larger than \(limit / (1 << 20)) MiB"
        case .unsupportedAPI(let daemon):
            return "the Docker daemon speaks Engine API \(daemon); ingest needs \(DockerAPIVersion.oldestSupported) or newer (Docker 1.13+)"
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
