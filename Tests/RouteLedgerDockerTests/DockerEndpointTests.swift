import RouteLedgerDocker
import Testing

@Suite("Docker host addresses")
struct DockerEndpointTests {
    @Test("DOCKER_HOST spellings", arguments: [
        ("unix:///var/run/docker.sock", "unix:///var/run/docker.sock"),
        ("/run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock"),
        ("tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375"),
        ("tcp://manager-1", "tcp://manager-1:2375"),
        ("http://10.0.0.2:2375/", "tcp://10.0.0.2:2375"),
        ("tcp://[::1]:2375", "tcp://[::1]:2375"),
    ])
    func parses(text: String, expected: String) throws {
        #expect(try DockerEndpoint(text).description == expected)
    }

    @Test("what cannot be used is refused with the reason", arguments: [
        ("https://h:2376", "TLS is not supported"),
        ("ssh://user@h", "forward the remote socket"),
        ("tcp://h:99999", "port \"99999\" is not 1 to 65535"),
        ("unix://relative.sock", "must be absolute"),
        ("docker.sock", "no scheme"),
        ("tcp://:2375", "no host"),
    ])
    func refuses(text: String, reason: String) {
        #expect {
            try DockerEndpoint(text)
        } throws: { error in
            "\(error)".contains(reason) && "\(error)".hasPrefix("invalid Docker host \"\(text)\"")
        }
    }
}
