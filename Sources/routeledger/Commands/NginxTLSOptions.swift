import ArgumentParser
import RouteLedgerCore

/// The TLS options of a rendered nginx configuration, shared by `render nginx` and `agent`.
struct NginxTLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The port nginx serves HTTPS (and TLS passed through) on (default: 443).", valueName: "N"))
    var tlsPort: Int?

    @Option(help: ArgumentHelp(
        "Where the Docker secrets named by ssl_cert and ssl_key are files (default: /run/secrets).",
        discussion: "A Swarm service mounts its secrets there, as Interlock's proxy does: give the proxy service the secrets its routed services name.",
        valueName: "dir"))
    var secretsDir: String?

    @Option(help: ArgumentHelp(
        "CA certificates (PEM) that upstream certificates must chain to with ssl_backend_tls_verify=required (default: /etc/ssl/certs/ca-certificates.crt).",
        valueName: "path"))
    var backendCa: String?

    @Option(help: ArgumentHelp(
        "nginx's stream module, loaded when a passthrough host needs a stream block; none when nginx has it already (default: \(NginxSettings.debianStreamModule), from Debian's libnginx-mod-stream).",
        valueName: "path|none"))
    var streamModule: String?

    @Option(help: ArgumentHelp(
        "The loopback port terminated hosts listen on when passthrough hosts share the TLS port (default: 8443).",
        valueName: "N"))
    var terminationPort: Int?

    /// The options given, by their parameter names (`tls_port`, …).
    var parameters: [(name: String, value: String)] {
        let values: [String?] = [tlsPort.map(String.init), terminationPort.map(String.init), secretsDir, backendCa, streamModule]
        return zip(NginxSettings.tlsParameters, values).compactMap { name, value in value.map { (name, $0) } }
    }

    func validate() throws {
        var settings = NginxSettings()
        for (name, value) in parameters {
            if let problem = settings.set(name, to: value) { throw ValidationError("--\(name.replacingOccurrences(of: "_", with: "-")) \(problem)") }
        }
    }

    /// `settings` with the options given applied.
    func apply(to settings: NginxSettings) -> NginxSettings {
        var settings = settings
        for (name, value) in parameters { _ = settings.set(name, to: value) }
        return settings
    }
}
