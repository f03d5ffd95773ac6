// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ferry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ferry", targets: ["FerryCLI"]),
        .library(name: "FerryCore", targets: ["FerryCore"]),
        .library(name: "FerryEngine", targets: ["FerryEngine"]),
        .library(name: "Parquet", targets: ["Parquet"]),
        .library(name: "DeltaLake", targets: ["DeltaLake"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // The Delta Lake transaction log: actions, snapshot replay, atomic commits, Parquet checkpoints. Depends on
        // nothing of Ferry's but Parquet.
        .target(name: "DeltaLake", dependencies: ["Parquet"], swiftSettings: swiftSettings),
        .testTarget(name: "DeltaLakeTests", dependencies: ["DeltaLake", "FerryTestKit"], swiftSettings: swiftSettings),
        // Compression codecs for Parquet pages, linked from the system (libzstd-dev, libsnappy-dev, zlib1g-dev).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"]), .brew(["snappy"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // A pure-Swift Parquet writer and reader. Depends on nothing of Ferry's, only on the codec libraries.
        .target(name: "Parquet", dependencies: ["CZstd", "CSnappy", "CZlib"], swiftSettings: swiftSettings),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet", "FerryTestKit"], swiftSettings: swiftSettings),
        // The shared vocabulary: schemas, columnar batches, table specs, errors, connector protocols. No I/O.
        .target(name: "FerryCore", swiftSettings: swiftSettings),
        // YAML config -> validated PipelineSpec, with file:line:column on every error.
        .target(
            name: "FerryConfig",
            dependencies: ["FerryCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // PostgreSQL source and destination over libpq: binary COPY both ways.
        .target(name: "FerryPostgres", dependencies: ["FerryCore", "CLibPQ"], swiftSettings: swiftSettings),
        // SQLite source and destination over GRDB.
        .target(
            name: "FerrySQLite",
            dependencies: [
                "FerryCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs, table runs and watermarks in an embedded SQLite file.
        .target(
            name: "FerryState",
            dependencies: ["FerryCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // Plans and runs table refreshes through the Source/Destination protocols.
        .target(
            name: "FerryEngine",
            dependencies: ["FerryCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Delta Lake tables as a Ferry destination: Parquet data files + the Delta log.
        .target(
            name: "FerryDelta",
            dependencies: ["FerryCore", "DeltaLake", "Parquet"],
            swiftSettings: swiftSettings
        ),
        // The quickstart's demo database.
        .target(
            name: "FerryDemo",
            dependencies: ["FerryCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // Allocator tuning for the CLI process (glibc's mallopt, which Swift's Glibc module does not export).
        .target(name: "CMemory"),
        .executableTarget(
            name: "FerryCLI",
            dependencies: [
                "FerryCore", "FerryConfig", "FerryEngine", "FerryPostgres", "FerrySQLite", "FerryState", "FerryDemo",
                "FerryDelta", "CMemory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FerryTestKit",
            dependencies: ["FerryCore"],
            path: "Tests/FerryTestKit",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FerryCoreTests", dependencies: ["FerryCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FerryConfigTests", dependencies: ["FerryConfig", "FerryTestKit"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FerryStateTests",
            dependencies: ["FerryState", "FerryTestKit", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FerrySQLiteTests",
            dependencies: ["FerrySQLite", "FerryTestKit", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FerryPostgresTests",
            dependencies: ["FerryPostgres", "FerryTestKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FerryEngineTests",
            dependencies: [
                "FerryEngine", "FerryPostgres", "FerrySQLite", "FerryState", "FerryConfig", "FerryTestKit",
                "FerryDelta",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FerryDeltaTests",
            dependencies: ["FerryDelta", "FerryTestKit", "DeltaLake", "Parquet"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FerryCLITests",
            dependencies: ["FerryTestKit", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
