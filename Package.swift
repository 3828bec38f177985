// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RouteLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "routeledger", targets: ["routeledger"]),
        .library(name: "RouteLedgerJSON", targets: ["RouteLedgerJSON"]),
        .library(name: "RouteLedgerCore", targets: ["RouteLedgerCore"]),
        .library(name: "RouteLedgerStore", targets: ["RouteLedgerStore"]),
        .library(name: "RouteLedgerDocker", targets: ["RouteLedgerDocker"]),
        .executable(name: "routeledger-sim", targets: ["routeledger-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // JSON reading and writing: the pull reader, the document framing and canonical output. Pure, like Core.
        .target(name: "RouteLedgerJSON"),
        // Pure: events, fold, labels, routing, reloads. No I/O, no clock, no randomness.
        // swift-crypto is pure computation (SHA-256 of proxy views).
        .target(
            name: "RouteLedgerCore",
            dependencies: ["RouteLedgerJSON", .product(name: "Crypto", package: "swift-crypto")]),
        // The event log: the logic both engines share, and a storage engine each for SQLite and PostgreSQL.
        .target(
            name: "RouteLedgerStore",
            dependencies: [
                "RouteLedgerJSON", "RouteLedgerCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The HTTP API and the proxy feed (long-polled nginx configs).
        .target(
            name: "RouteLedgerServer",
            dependencies: [
                "RouteLedgerJSON", "RouteLedgerCore",
                "RouteLedgerStore",
                "RouteLedgerWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "RouteLedgerWeb",
            dependencies: ["RouteLedgerJSON", "RouteLedgerCore", "RouteLedgerStore"]),
        // Running a program to completion, bounded in time (swift-subprocess): the agent's nginx calls and the
        // test support's programs.
        .target(
            name: "RouteLedgerProcess",
            dependencies: [.product(name: "Subprocess", package: "swift-subprocess")]),
        // The proxy agent: long-polls a cluster's config, validates it with nginx -t, reloads nginx.
        .target(
            name: "RouteLedgerAgent",
            dependencies: [
                "RouteLedgerJSON", "RouteLedgerCore",
                "RouteLedgerProcess",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The Docker Engine API client (AsyncHTTPClient, unix socket or TCP) and the reconciler that turns listings into events.
        // Imports Core, never the Store: RouteLedgerIngest wires the two.
        .target(
            name: "RouteLedgerDocker",
            dependencies: [
                "RouteLedgerJSON", "RouteLedgerCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The event log as the Docker ingest's journal: the one adapter between Docker and Store.
        .target(
            name: "RouteLedgerIngest",
            dependencies: ["RouteLedgerJSON", "RouteLedgerCore", "RouteLedgerDocker", "RouteLedgerStore"]),
        // Deterministic cluster churn generator used by benchmarks and tests.
        .target(
            name: "RouteLedgerSimulator",
            dependencies: ["RouteLedgerJSON", "RouteLedgerCore"],
            path: "tools/Simulator"),
        // `routeledger-sim`: the churn generator as a command (JSON Lines of any length, bounded memory).
        .executableTarget(
            name: "routeledger-sim",
            dependencies: ["RouteLedgerSimulator", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "tools/sim"),
        .executableTarget(
            name: "routeledger",
            dependencies: [
                "RouteLedgerJSON", "RouteLedgerCore",
                "RouteLedgerStore",
                "RouteLedgerServer",
                "RouteLedgerAgent",
                "RouteLedgerDocker",
                "RouteLedgerIngest",
                "RouteLedgerWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "routeledger-bench",
            dependencies: [
                "RouteLedgerJSON", "RouteLedgerCore",
                "RouteLedgerStore",
                "RouteLedgerSimulator",
                "RouteLedgerDocker",
                "RouteLedgerIngest",
                "DockerStandIn",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "tools/bench"),
        .executableTarget(
            name: "routeledger-feed-bench",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "tools/feedbench"),
        // What several test targets share: finding and running nginx and PostgreSQL, running programs, waiting
        // with patience.
        .target(
            name: "TestSupport",
            dependencies: ["RouteLedgerProcess"],
            path: "Tests/TestSupport"),
        // A stand-in Docker Engine API (HTTP/1.1 over a unix socket) serving scripted cluster states: for the
        // tests and the ingest benchmark, never for the shipped executables.
        .target(
            name: "DockerStandIn",
            dependencies: [
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/DockerStandIn"),
        .testTarget(
            name: "RouteLedgerCoreTests",
            dependencies: ["RouteLedgerJSON", "RouteLedgerCore", "RouteLedgerSimulator", "TestSupport"],
            exclude: ["Golden"]),
        .testTarget(
            name: "RouteLedgerStoreTests",
            dependencies: ["RouteLedgerJSON", "RouteLedgerCore", "RouteLedgerStore", "RouteLedgerSimulator", "TestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "RouteLedgerServerTests",
            dependencies: ["RouteLedgerJSON", "RouteLedgerCore", "RouteLedgerStore", "RouteLedgerServer", "RouteLedgerAgent", "RouteLedgerProcess", "TestSupport", "routeledger",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")]),
        // serve + agent + real nginx + loopback backends, driven over HTTP.
        .testTarget(
            name: "RouteLedgerEndToEndTests",
            dependencies: ["RouteLedgerJSON", "RouteLedgerCore", "RouteLedgerStore", "TestSupport", "routeledger",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTLS", package: "hummingbird"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "RouteLedgerDockerTests",
            dependencies: ["RouteLedgerDocker", "RouteLedgerIngest", "RouteLedgerJSON", "RouteLedgerCore", "RouteLedgerStore", "DockerStandIn", "TestSupport",
                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "RouteLedgerCLITests",
            dependencies: ["routeledger", "routeledger-sim", "RouteLedgerSimulator", "RouteLedgerProcess", "DockerStandIn", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
