import Foundation
import Testing

@testable import RunnelConfig

/// Every `#{...}` of fluentd-kubernetes-daemonset's Kinesis image (its fluent.conf and the
/// files it includes), with the environment unset and set, and the directory itself loaded
/// into a tree.
@Suite("#{...} of fluentd-kubernetes-daemonset")
struct DaemonsetExpressionTests {
    static let kubernetesURL =
        "ENV['FLUENT_FILTER_KUBERNETES_URL'] || (host = ENV.fetch('KUBERNETES_SERVICE_HOST'); port = ENV.fetch('KUBERNETES_SERVICE_PORT'); host = (IPAddr.new(host).ipv6? ? '[' + host + ']' : host rescue host); 'https://' + host + ':' + port + '/api')"

    static func posFile(_ variable: String, _ name: String) -> String {
        "File.join('/var/log/', ENV.fetch('\(variable)', ''), '\(name)')"
    }

    /// Each expression: what it gives with no variable set, then with `set`.
    static let expressions: [(code: String, unset: EmbeddedRubyEvaluator.Result, set: [String: String], result: EmbeddedRubyEvaluator.Result)] = [
        ("ENV['FLUENTD_SYSTEMD_CONF'] || 'systemd'", .text("systemd"), ["FLUENTD_SYSTEMD_CONF": "disable"], .text("disable")),
        ("ENV['FLUENTD_PROMETHEUS_CONF'] || 'prometheus'", .text("prometheus"), ["FLUENTD_PROMETHEUS_CONF": "disable"], .text("disable")),
        // `"#{nil}"` is an empty string in Fluentd (the code runs inside a Ruby string); the
        // Kinesis output reads an empty region as not set.
        ("ENV['FLUENT_KINESIS_STREAMS_REGION'] || nil", .text(""), ["FLUENT_KINESIS_STREAMS_REGION": "eu-west-1"], .text("eu-west-1")),
        ("ENV['FLUENT_KINESIS_STREAMS_STREAM_NAME']", .text(""), ["FLUENT_KINESIS_STREAMS_STREAM_NAME": "logs"], .text("logs")),
        ("ENV['FLUENT_KINESIS_STREAMS_INCLUDE_TIME_KEY'] || false", .text("false"), ["FLUENT_KINESIS_STREAMS_INCLUDE_TIME_KEY": "true"], .text("true")),
        ("ENV['FLUENT_KINESIS_STREAMS_CHUNK_LIMIT_SIZE'] || '1m'", .text("1m"), ["FLUENT_KINESIS_STREAMS_CHUNK_LIMIT_SIZE": "512k"], .text("512k")),
        ("ENV['FLUENTD_PROMETHEUS_BIND'] || '0.0.0.0'", .text("0.0.0.0"), ["FLUENTD_PROMETHEUS_BIND": "127.0.0.1"], .text("127.0.0.1")),
        ("ENV['FLUENTD_PROMETHEUS_PORT'] || '24231'", .text("24231"), ["FLUENTD_PROMETHEUS_PORT": "9100"], .text("9100")),
        ("ENV['FLUENTD_PROMETHEUS_PATH'] || '/metrics'", .text("/metrics"), ["FLUENTD_PROMETHEUS_PATH": "/m"], .text("/m")),
        ("ENV['KUBERNETES_VERIFY_SSL'] || true", .text("true"), ["KUBERNETES_VERIFY_SSL": "false"], .text("false")),
        ("ENV['KUBERNETES_CA_FILE']", .text(""), ["KUBERNETES_CA_FILE": "/ca.crt"], .text("/ca.crt")),
        ("ENV['FLUENT_KUBERNETES_METADATA_SKIP_LABELS'] || 'false'", .text("false"), ["FLUENT_KUBERNETES_METADATA_SKIP_LABELS": "true"], .text("true")),
        (
            "ENV['FLUENT_KUBERNETES_METADATA_SKIP_CONTAINER_METADATA'] || 'false'", .text("false"),
            ["FLUENT_KUBERNETES_METADATA_SKIP_CONTAINER_METADATA": "true"], .text("true")
        ),
        ("ENV['FLUENT_KUBERNETES_METADATA_SKIP_MASTER_URL'] || 'false'", .text("false"), ["FLUENT_KUBERNETES_METADATA_SKIP_MASTER_URL": "true"], .text("true")),
        (
            "ENV['FLUENT_KUBERNETES_METADATA_SKIP_NAMESPACE_METADATA'] || 'false'", .text("false"),
            ["FLUENT_KUBERNETES_METADATA_SKIP_NAMESPACE_METADATA": "true"], .text("true")
        ),
        ("ENV['FLUENT_KUBERNETES_WATCH'] || 'true'", .text("true"), ["FLUENT_KUBERNETES_WATCH": "false"], .text("false")),
        ("ENV['FLUENT_CONTAINER_TAIL_PARSER_TYPE'] || 'json'", .text("json"), ["FLUENT_CONTAINER_TAIL_PARSER_TYPE": "cri"], .text("cri")),
        (
            "ENV['FLUENT_CONTAINER_TAIL_PARSER_TIME_FORMAT'] || '%Y-%m-%dT%H:%M:%S.%NZ'", .text("%Y-%m-%dT%H:%M:%S.%NZ"),
            ["FLUENT_CONTAINER_TAIL_PARSER_TIME_FORMAT": "%s"], .text("%s")
        ),
        (
            "ENV['FLUENT_CONTAINER_TAIL_PATH'] || '/var/log/containers/*.log'", .text("/var/log/containers/*.log"),
            ["FLUENT_CONTAINER_TAIL_PATH": "/logs/*.log"], .text("/logs/*.log")
        ),
        ("ENV['FLUENT_CONTAINER_TAIL_TAG'] || 'kubernetes.*'", .text("kubernetes.*"), ["FLUENT_CONTAINER_TAIL_TAG": "k8s.*"], .text("k8s.*")),
        (
            "ENV['FLUENT_CONTAINER_TAIL_EXCLUDE_PATH'] || use_default", .useDefault,
            ["FLUENT_CONTAINER_TAIL_EXCLUDE_PATH": #"["/var/log/containers/fluent*"]"#], .text(#"["/var/log/containers/fluent*"]"#)
        ),
        (
            posFile("FLUENT_POS_EXTRA_DIR", "fluentd-containers.log.pos"), .text("/var/log/fluentd-containers.log.pos"), ["FLUENT_POS_EXTRA_DIR": "extra"],
            .text("/var/log/extra/fluentd-containers.log.pos")
        ),
        (
            posFile("FLUENT_POS_DIR", "fluentd-startupscript.log.pos"), .text("/var/log/fluentd-startupscript.log.pos"), ["FLUENT_POS_DIR": "/pos/"],
            .text("/var/log/pos/fluentd-startupscript.log.pos")
        ),
        (kubernetesURL, .text(""), ["FLUENT_FILTER_KUBERNETES_URL": "https://api.example:6443/api"], .text("https://api.example:6443/api")),
    ]

    @Test(arguments: expressions.indices)
    func unsetAndSet(_ index: Int) throws {
        let expression = Self.expressions[index]
        if expression.code == Self.kubernetesURL {
            // Outside a cluster Fluentd stops on this KeyError too.
            let error = try #require(configError { try evaluateEmbedded(expression.code) })
            #expect(error.message.contains("raised KeyError: key not found: \"KUBERNETES_SERVICE_HOST\""))
        } else {
            #expect(try evaluateEmbedded(expression.code) == expression.unset)
        }
        #expect(try evaluateEmbedded(expression.code, environment: expression.set) == expression.result)
    }

    @Test(arguments: [
        ("10.96.0.1", "https://10.96.0.1:443/api"),
        ("fd00:10:96::1", "https://[fd00:10:96::1]:443/api"),
        // Not an address: IPAddr.new raises, and `rescue host` keeps the name.
        ("kubernetes.default.svc", "https://kubernetes.default.svc:443/api"),
    ])
    func kubernetesURLFromTheServiceVariables(_ host: String, _ url: String) throws {
        let environment = ["KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": "443"]
        #expect(try evaluateEmbedded(Self.kubernetesURL, environment: environment) == .text(url))
        let onlyHost = try #require(configError { try evaluateEmbedded(Self.kubernetesURL, environment: ["KUBERNETES_SERVICE_HOST": host]) })
        #expect(onlyHost.message.contains("raised KeyError: key not found: \"KUBERNETES_SERVICE_PORT\""))
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The daemonset's configuration, kept beside the repository (`../shared/compat/...`).
    static let compatDirectory = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/compat/fluentd-kubernetes-daemonset-kinesis").path
    static let compatPresent = FileManager.default.fileExists(atPath: compatDirectory + "/fluent.conf")

    /// Every `#{...}` written in the daemonset's files is one of the expressions above (the
    /// pos_file joins differ only in the file name).
    @Test(.enabled(if: compatPresent, "the daemonset configuration is not at ../shared/compat/fluentd-kubernetes-daemonset-kinesis beside the repository"))
    func everyExpressionOfTheDirectoryIsCovered() throws {
        func normalized(_ code: String) -> String {
            guard code.hasPrefix("File.join('/var/log/', ENV.fetch('"), let last = code.range(of: "), '", options: .backwards) else { return code }
            return String(code[..<last.upperBound]) + "NAME')"
        }
        let known = Set(Self.expressions.map { normalized($0.code) })
        var found: Set<String> = []
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.compatDirectory).filter { $0.hasSuffix(".conf") }
        for file in files {
            let scalars = Array(try String(contentsOfFile: Self.compatDirectory + "/" + file, encoding: .utf8).unicodeScalars)
            var index = 0
            while index + 1 < scalars.count {
                guard scalars[index] == "#", scalars[index + 1] == "{" else { index += 1; continue }
                // The code runs to the brace that closes this one (quotes in it hold no braces here).
                var depth = 0
                var end = index + 2
                while end < scalars.count, depth > 0 || scalars[end] != "}" {
                    if scalars[end] == "{" { depth += 1 } else if scalars[end] == "}" { depth -= 1 }
                    end += 1
                }
                var code = String.UnicodeScalarView()
                code.append(contentsOf: scalars[(index + 2)..<end])
                #expect(known.contains(normalized(String(code))), "\(file): #{\(String(code))} has no case here")
                found.insert(normalized(String(code)))
                index = end
            }
        }
        #expect(found == known)
    }

    @Test(.enabled(if: compatPresent, "the daemonset configuration is not at ../shared/compat/fluentd-kubernetes-daemonset-kinesis beside the repository"))
    func loadsTheDirectoryIntoATree() throws {
        // Fluentd stops on the KeyError of kubernetes_url outside a cluster, so does Runnel.
        let outside = try #require(configError { try ConfigLoader.load(path: Self.compatDirectory + "/fluent.conf", environment: [:]) })
        #expect(outside.location.file.hasSuffix("kubernetes.conf") && outside.location.line == 30)
        let cluster = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let root = try ConfigLoader.load(path: Self.compatDirectory + "/fluent.conf", environment: cluster)
        let filter = try #require(root.elements(named: "filter").first { $0.string("@type") == "kubernetes_metadata" })
        #expect(filter.string("kubernetes_url") == "https://10.96.0.1:443/api")
        // systemd.conf, prometheus.conf, kubernetes.conf and its kubernetes/*.conf, then the <match>.
        let sources = root.elements(named: "source")
        #expect(sources.contains { $0.string("@type") == "systemd" })
        #expect(sources.contains { $0.string("@type") == "prometheus" })
        let containers = try #require(sources.first { $0.string("@id") == "in_tail_container_logs" })
        #expect(containers.string("pos_file") == "/var/log/fluentd-containers.log.pos")
        #expect(containers.has("exclude_path") == false)
        #expect(containers.unsetParameters.map(\.key) == ["exclude_path"])
        #expect(containers.element(named: "parse")?.string("@type") == "json")
        let match = try #require(root.elements(named: "match").last)
        #expect(match.string("@type") == "kinesis_streams")
        #expect(match.string("region") == "")
        #expect(match.string("include_time_key") == "false")
        #expect(match.element(named: "buffer")?.string("chunk_limit_size") == "1m")

        // The included file's name comes from the environment too; the image's README switches
        // systemd off with FLUENTD_SYSTEMD_CONF=disable, a file that does not exist.
        let disabled = try ConfigLoader.load(
            path: Self.compatDirectory + "/fluent.conf", environment: cluster.merging(["FLUENTD_SYSTEMD_CONF": "disable"]) { $1 })
        #expect(!disabled.elements(named: "source").contains { $0.string("@type") == "systemd" })
        let configured = try ConfigLoader.load(
            path: Self.compatDirectory + "/fluent.conf",
            environment: cluster.merging([
                "FLUENTD_SYSTEMD_CONF": "prometheus", "FLUENT_CONTAINER_TAIL_EXCLUDE_PATH": "/var/log/containers/fluent*",
                "FLUENT_POS_EXTRA_DIR": "pos", "FLUENT_KINESIS_STREAMS_REGION": "eu-west-1",
            ]) { $1 })
        #expect(!configured.elements(named: "source").contains { $0.string("@type") == "systemd" })
        #expect(configured.elements(named: "source").filter { $0.string("@type") == "prometheus" }.count == 2)
        let tail = try #require(configured.elements(named: "source").first { $0.string("@id") == "in_tail_container_logs" })
        #expect(tail.string("exclude_path") == "/var/log/containers/fluent*")
        #expect(tail.string("pos_file") == "/var/log/pos/fluentd-containers.log.pos")
        #expect(configured.elements(named: "match").last?.string("region") == "eu-west-1")
    }
}
