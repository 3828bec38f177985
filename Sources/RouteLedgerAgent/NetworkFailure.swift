import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// A network failure as one plain sentence ("connection refused", "the address is already in use"), not a
/// library's description with its descriptors and errno.
public enum NetworkFailure {
    /// What went wrong, in words, for `error` from SwiftNIO or AsyncHTTPClient.
    public static func plain(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            switch error.errnoCode {
            case EADDRINUSE: return "the address is already in use (is another server listening there?)"
            case EACCES: return "permission denied (ports below 1024 need privileges)"
            case EADDRNOTAVAIL: return "no interface of this host has that address"
            case ECONNREFUSED: return "connection refused (is the server running?)"
            case ECONNRESET: return "the connection was reset"
            case ETIMEDOUT: return "timed out"
            case EHOSTUNREACH, ENETUNREACH: return "the host is unreachable"
            default: return String(cString: strerror(error.errnoCode)).lowercased()
            }
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return plain(first.error) }
            return error.dnsAError != nil || error.dnsAAAAError != nil ? "cannot resolve the host name" : "cannot connect"
        case let error as ChannelError:
            if case .connectTimeout = error { return "timed out connecting" }
            return "\(error)"
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout: return "timed out connecting"
            case .deadlineExceeded, .readTimeout: return "timed out waiting for an answer"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return "\(error)"
            }
        default:
            return "\(error)"
        }
    }
}
