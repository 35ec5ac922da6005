// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "worktrail-git",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "worktrail-git", targets: ["worktrail-git"]),
        // The Hub client knows nothing of git, so integrations for other source types can use it.
        .library(name: "WorkTrailHub", targets: ["WorkTrailHub"]),
    ],
    targets: [
        .systemLibrary(
            name: "Clibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        // Inflates commit objects straight from pack files, on several threads at once.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .target(name: "Git", dependencies: ["Clibgit2", "CZlib"]),
        .target(name: "WorkTrailHub"),
        .target(name: "StandInHub"),
        // Helpers for the test suites and benchmarks: git fixtures and process running.
        .target(name: "TestSupport"),
        .target(name: "GitSync", dependencies: ["Git", "WorkTrailHub", "CSQLite"]),
        // The daemon's lifecycle, configuration file and repository discovery; no git, no network.
        .target(name: "WorkTrailDaemon"),
        .target(name: "WorkTrailGitCLI", dependencies: ["GitSync", "WorkTrailHub", "WorkTrailDaemon"]),
        .executableTarget(name: "worktrail-git", dependencies: ["WorkTrailGitCLI"]),
        // Benchmarks, not tests: `swift run -c release worktrail-bench hub`.
        .target(name: "HubBenchmark", dependencies: ["WorkTrailHub", "StandInHub"]),
        .executableTarget(name: "worktrail-bench", dependencies: ["HubBenchmark"]),
        // A stand-in Hub in its own process, for scripts/bench and manual runs; not a product.
        .executableTarget(name: "worktrail-standin-hub", dependencies: ["StandInHub"]),
        .testTarget(name: "GitTests", dependencies: ["Git", "TestSupport"]),
        .testTarget(name: "WorkTrailHubTests", dependencies: ["WorkTrailHub", "StandInHub"]),
        .testTarget(name: "GitSyncTests", dependencies: ["GitSync", "Git", "StandInHub", "TestSupport"]),
        .testTarget(name: "DaemonTests", dependencies: ["WorkTrailDaemon", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["worktrail-git", "StandInHub", "TestSupport"]),
        .testTarget(name: "StandInHubTests", dependencies: ["StandInHub"]),
    ]
)
