// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RouteLedger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "routeledger", targets: ["routeledger"]),
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
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // Pure: events, fold, labels, routing, reloads. No I/O, no clock, no randomness.
        // swift-crypto is pure computation (SHA-256 of proxy views).
        .target(
            name: "RouteLedgerCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // The SQLite event log.
        .target(
            name: "RouteLedgerStore",
            dependencies: [
                "RouteLedgerCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The Docker Engine API client (unix socket or TCP) and the reconciler that turns listings into events.
        // Imports Core, never the Store: the CLI wires the two.
        .target(
            name: "RouteLedgerDocker",
            dependencies: [
                "RouteLedgerCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Deterministic cluster churn generator used by benchmarks and tests.
        .target(
            name: "RouteLedgerSimulator",
            dependencies: ["RouteLedgerCore"],
            path: "tools/Simulator"),
        // `routeledger-sim`: the churn generator as a command (JSON Lines of any length, bounded memory).
        .executableTarget(
            name: "routeledger-sim",
            dependencies: ["RouteLedgerSimulator", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "tools/sim"),
        .executableTarget(
            name: "routeledger",
            dependencies: [
                "RouteLedgerCore",
                "RouteLedgerStore",
                "RouteLedgerDocker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "routeledger-bench",
            dependencies: [
                "RouteLedgerCore",
                "RouteLedgerStore",
                "RouteLedgerSimulator",
                "RouteLedgerDocker",
                "DockerStandIn",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "tools/bench"),
        // A stand-in Docker Engine API (HTTP/1.1 over a unix socket) serving scripted cluster states: for the
        // tests and the ingest benchmark, never for the shipped executables.
        .target(
            name: "DockerStandIn",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/DockerStandIn"),
        .testTarget(
            name: "RouteLedgerCoreTests",
            dependencies: ["RouteLedgerCore", "RouteLedgerSimulator"]),
        .testTarget(
            name: "RouteLedgerStoreTests",
            dependencies: ["RouteLedgerCore", "RouteLedgerStore", "RouteLedgerSimulator",
                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "RouteLedgerDockerTests",
            dependencies: ["RouteLedgerDocker", "RouteLedgerCore", "RouteLedgerStore", "DockerStandIn",
                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "RouteLedgerCLITests",
            dependencies: ["routeledger", "routeledger-sim", "RouteLedgerSimulator", "DockerStandIn"]),
    ],
    swiftLanguageModes: [.v6]
)
