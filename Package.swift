// swift-tools-version:6.0
import PackageDescription

// One target per component of DESIGN.md. Dependency arrows point inward:
// inputs, filters and outputs depend on RunnelCore / RunnelConfig / RunnelPipeline
// and shared services (RunnelBuffer, RunnelParsers, RunnelHTTPServer, RunnelAWS),
// never on each other; only RunnelApp knows every plugin.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "runnel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "runnel", targets: ["runnel"]),
        .executable(name: "runnel-bench", targets: ["runnel-bench"]),
        .executable(name: "runnel-loadgen", targets: ["runnel-loadgen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
    ],
    targets: [
        // zlib from the system (Debian: zlib1g-dev), for gzip/zlib in Forward and Kinesis.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // libsystemd's sd-journal (Debian: libsystemd-dev), for the systemd input.
        .systemLibrary(name: "CSystemd", path: "Sources/CSystemd"),

        // gzip and zlib through the system zlib: one implementation for Forward, Kinesis and the buffer.
        .target(name: "RunnelCompression", dependencies: ["CZlib"], swiftSettings: swiftSettings),

        // Fluentd's <format> formatters, <inject>, strftime and Ruby's to_s/inspect text: every output formats with these.
        .target(name: "RunnelFormat", dependencies: ["RunnelCore", "RunnelConfig"], swiftSettings: swiftSettings),

        // The event vocabulary: EventTime, MessagePack, event streams, tag patterns, JSON from MessagePack.
        .target(
            name: "RunnelCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),

        // Fluentd configuration: classic and YAML syntax into one tree, typed parameters, errors with file/line.
        .target(
            name: "RunnelConfig",
            dependencies: ["Yams", "RunnelCore"],
            swiftSettings: swiftSettings),

        // Plugin protocols, registry, router, labels, built-in filters and simple outputs.
        .target(
            name: "RunnelPipeline",
            dependencies: [
                "RunnelCore", "RunnelConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // Fluentd's <buffer>: memory and file chunks, flush and retry policy, secondary.
        .target(
            name: "RunnelBuffer",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelCompression", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // A child process for the buffer's crash tests: appends acknowledged entries and flushes them
        // to a file "destination" until it is killed (Tests/RunnelBufferTests/CrashTests.swift).
        .executableTarget(
            name: "runnel-buffer-crash-probe",
            dependencies: [
                "RunnelBuffer", "RunnelCore", "RunnelConfig", "RunnelPipeline",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/RunnelBufferCrashProbe",
            swiftSettings: swiftSettings),

        // in_forward and in_unix: the Fluentd Forward protocol over TCP/TLS/Unix sockets.
        .target(
            name: "RunnelForward",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelCompression", "RunnelNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),

        // Parsers shared by in_tail and the parser filter.
        .target(
            name: "RunnelParsers",
            dependencies: ["RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelCompression"],
            swiftSettings: swiftSettings),

        // in_syslog, in_tcp and in_udp: lines over TCP/TLS (newline or octet-count framing) and UDP,
        // parsed by RunnelParsers' <parse> parsers; listening sockets and TLS from RunnelForward.
        .target(
            name: "RunnelSyslog",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelParsers", "RunnelForward", "RunnelNetwork", "RunnelFormat",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // in_tail: files, rotation, pos_file; Kubernetes container logs.
        .target(
            name: "RunnelTail",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelParsers",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // The kubernetes_metadata filter (fluent-plugin-kubernetes_metadata_filter): pod and
        // namespace metadata from the API server, cached.
        .target(
            name: "RunnelKubernetesMetadata",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelParsers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings),

        // What every input that accepts connections shares: the accept loop that serves each
        // connection in its own task and closes the ones a stopping listener never handed out.
        .target(
            name: "RunnelNetwork",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // A small HTTP/1.1 server (routes by method and path to async handlers, optionally over
        // TLS), shared by the inputs that serve HTTP: the monitoring endpoints and in_http.
        .target(
            name: "RunnelHTTPServer",
            dependencies: [
                "RunnelNetwork",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // in_http (Fluentd's, with `<parse>`, CORS and `<transport tls>`) and CloudEvents over HTTP
        // (binary, structured and batched modes) on the same input.
        .target(
            name: "RunnelHTTPInput",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelParsers", "RunnelHTTPServer", "RunnelForward",
                "RunnelCompression",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // monitor_agent and fluent-plugin-prometheus' prometheus, prometheus_monitor,
        // prometheus_output_monitor and prometheus_tail_monitor inputs. They read other plugins
        // only through RunnelPipeline's reporting protocols.
        .target(
            name: "RunnelMonitor",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelHTTPServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // in_systemd (fluent-plugin-systemd): the journal through sd-journal, the cursor in a storage file.
        .target(
            name: "RunnelSystemd",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "CSystemd",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // SigV4 signing, pure: no sockets, no clocks.
        .target(
            name: "RunnelSigV4",
            dependencies: ["RunnelCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),

        // AWS credential providers and the default chain.
        .target(
            name: "RunnelAWS",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelSigV4",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // out_file: buffered events formatted into files by time slice.
        .target(
            name: "RunnelFileOutput",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelBuffer", "RunnelFormat", "RunnelCompression",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelFileOutputTests",
            dependencies: ["RunnelFileOutput", "RunnelBuffer", "RunnelPipeline", "RunnelCompression", "RunnelConfig"],
            swiftSettings: swiftSettings),

        // kinesis_streams, kinesis_streams_aggregated, kinesis_firehose.
        .target(
            name: "RunnelKinesis",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelBuffer", "RunnelAWS", "RunnelSigV4", "RunnelCompression", "RunnelFormat",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings),

        // `<source> @type kinesis_streams`: a stream's shards read into the pipeline, with checkpoints.
        .target(
            name: "RunnelKinesisInput",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelBuffer", "RunnelAWS", "RunnelKinesis", "RunnelParsers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelKinesisInputTests",
            dependencies: [
                "RunnelKinesisInput", "RunnelKinesis", "RunnelParsers", "RunnelPipeline", "RunnelConfig", "RunnelCore", "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // out_forward: buffered chunks to Forward servers (aggregators), with load balancing,
        // standby failover, heartbeats and the phi accrual failure detector, acks, TLS, shared key.
        .target(
            name: "RunnelForwardOutput",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelBuffer", "RunnelForward",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelForwardOutputTests",
            dependencies: [
                "RunnelForwardOutput", "RunnelForward", "RunnelBuffer", "RunnelConfig", "RunnelCore", "RunnelPipeline",
                "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // Filters and re-emitting outputs Kubernetes configurations chain: rewrite_tag_filter,
        // record_modifier, concat, detect_exceptions and the stdout filter.
        .target(
            name: "RunnelFilters",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelParsers", "RunnelFormat",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelFiltersTests",
            dependencies: [
                "RunnelFilters", "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelParsers", "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // The command line and the wiring of every plugin; the executable is a thin shell around it.
        .target(
            name: "RunnelApp",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelBuffer", "RunnelForward",
                "RunnelParsers", "RunnelTail", "RunnelKinesis", "RunnelFileOutput", "RunnelSystemd",
                "RunnelKubernetesMetadata", "RunnelMonitor", "RunnelSyslog", "RunnelHTTPInput", "RunnelFilters",
                "RunnelHTTPServer", "RunnelAWS", "RunnelKinesisInput", "RunnelForwardOutput",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        // glibc's mallopt(M_ARENA_MAX) for the executable (malloc.h is not in Swift's Glibc module).
        .target(name: "CMalloc", path: "Sources/CMalloc"),
        .executableTarget(name: "runnel", dependencies: ["RunnelApp", "CMalloc"], swiftSettings: swiftSettings),

        // Load generator for benchmarks, soak and crash runs: Forward messages or rotating files.
        .executableTarget(
            name: "runnel-loadgen",
            dependencies: [
                "RunnelCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/RunnelLoadgen",
            swiftSettings: swiftSettings),

        // Micro and component benchmarks, run by scripts/bench in release mode (never as test assertions).
        .executableTarget(
            name: "runnel-bench",
            dependencies: [
                "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelBuffer", "RunnelForward",
                "RunnelParsers", "RunnelTail", "RunnelSigV4", "RunnelAWS", "RunnelKinesis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/RunnelBench",
            swiftSettings: swiftSettings),

        // What the tests share: a manual clock, a log capture, the seeded generator, temporary
        // directories, loopback ports, waits with deadlines, a fake HTTP server and a fake Kinesis
        // endpoint with faults. Test targets depend on it; production targets never do.
        .target(
            name: "RunnelTestSupport",
            dependencies: [
                "RunnelCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        .testTarget(name: "RunnelCoreTests", dependencies: ["RunnelCore", "RunnelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RunnelConfigTests", dependencies: ["RunnelConfig", "RunnelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RunnelPipelineTests", dependencies: ["RunnelPipeline"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelBufferTests",
            dependencies: [
                "RunnelCompression", "RunnelTestSupport",
                "RunnelBuffer", "runnel-buffer-crash-probe", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelForwardTests",
            dependencies: [
                "RunnelForward", "RunnelCompression", "RunnelTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            exclude: ["clients", "captures"],
            swiftSettings: swiftSettings),
        .testTarget(name: "RunnelParsersTests", dependencies: ["RunnelParsers", "RunnelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelSyslogTests",
            dependencies: [
                "RunnelSyslog", "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelParsers", "RunnelForward", "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "RunnelTailTests", dependencies: ["RunnelTail", "RunnelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelKubernetesMetadataTests",
            dependencies: [
                "RunnelKubernetesMetadata", "RunnelCore", "RunnelConfig", "RunnelParsers", "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelHTTPServerTests",
            dependencies: [
                "RunnelHTTPServer", "RunnelNetwork", "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelHTTPInputTests",
            dependencies: [
                "RunnelHTTPInput", "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelCompression", "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelMonitorTests",
            dependencies: [
                "RunnelMonitor", "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelSystemdTests",
            dependencies: [
                "RunnelSystemd", "RunnelTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "RunnelSigV4Tests", dependencies: ["RunnelSigV4"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelAWSTests",
            dependencies: [
                "RunnelAWS", "RunnelTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RunnelKinesisTests",
            dependencies: [
                "RunnelKinesis", "RunnelFormat", "RunnelCore", "RunnelConfig", "RunnelPipeline", "RunnelBuffer", "RunnelAWS", "RunnelSigV4", "CZlib",
                "RunnelTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "RunnelTestSupportTests", dependencies: ["RunnelTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RunnelAppTests", dependencies: ["RunnelApp", "RunnelMonitor", "RunnelTestSupport"], swiftSettings: swiftSettings),
    ]
)
