// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RouteLedger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "routeledger", targets: ["routeledger"]),
        .library(name: "RouteLedgerCore", targets: ["RouteLedgerCore"]),
        .library(name: "RouteLedgerStore", targets: ["RouteLedgerStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
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
        // Deterministic cluster churn generator used by benchmarks and tests.
        .target(
            name: "RouteLedgerSimulator",
            dependencies: ["RouteLedgerCore"],
            path: "tools/Simulator"),
        .executableTarget(
            name: "routeledger",
            dependencies: [
                "RouteLedgerCore",
                "RouteLedgerStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "routeledger-bench",
            dependencies: [
                "RouteLedgerCore",
                "RouteLedgerStore",
                "RouteLedgerSimulator",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "tools/bench"),
        // What several test targets share: finding and running nginx.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"),
        .testTarget(
            name: "RouteLedgerCoreTests",
            dependencies: ["RouteLedgerCore", "RouteLedgerSimulator", "TestSupport"],
            exclude: ["Golden"]),
        .testTarget(
            name: "RouteLedgerStoreTests",
            dependencies: ["RouteLedgerCore", "RouteLedgerStore", "RouteLedgerSimulator",
                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "RouteLedgerCLITests",
            dependencies: ["routeledger"]),
    ],
    swiftLanguageModes: [.v6]
)
