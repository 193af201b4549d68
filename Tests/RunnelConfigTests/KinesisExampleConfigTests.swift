import Testing

@testable import RunnelConfig

/// A fluent.conf as a Fluentd + fluent-plugin-kinesis user writes it, loaded unchanged.
@Suite("A realistic Fluentd + fluent-plugin-kinesis configuration")
struct KinesisExampleConfigTests {
    static let fluentConf = #"""
        # Fluentd + fluent-plugin-kinesis: forward and tail in, Kinesis Data Streams out.
        <system>
          log_level info
          root_dir /var/lib/fluentd
        </system>

        <source>
          @type forward
          @id in_forward
          port 24224
          bind 0.0.0.0
          <security>
            self_hostname "#{Socket.gethostname}"
            shared_key "#{ENV['FLUENT_SHARED_KEY']}"
            <user>
              username fluent
              password "#{ENV.fetch('FLUENT_PASSWORD', 'changeme')}"
            </user>
            <client>
              host 10.0.0.0/8
            </client>
          </security>
        </source>

        <source>
          @type tail
          @id in_tail_app
          path /var/log/app/*.log,/var/log/app/**/*.log
          pos_file /var/lib/fluentd/app.log.pos
          tag app.*
          read_from_head true
          <parse>
            @type regexp
            expression /^(?<time>\d{4}-\d{2}-\d{2}T[^ ]+) (?<level>[A-Z]+) (?<message>.*)$/
            time_format %Y-%m-%dT%H:%M:%S.%N%z
            types status:integer,latency:float
          </parse>
        </source>

        <filter app.**>
          @type record_transformer
          enable_ruby false
          <record>
            hostname "#{Socket.gethostname}"
            environment "#{ENV['APP_ENV'] || 'production'}"
            tag ${tag}
          </record>
          remove_keys ["password", "token"]
        </filter>

        <match app.**>
          @type kinesis_streams
          @id out_kinesis
          @log_level warn
          stream_name "#{ENV.fetch('KINESIS_STREAM', 'app-logs')}"
          region us-east-1     # the stream's region
          partition_key host
          <assume_role_credentials>
            role_arn arn:aws:iam::123456789012:role/fluentd
            role_session_name fluentd-#{hostname}
          </assume_role_credentials>
          <buffer tag,time>
            @type file
            path /var/lib/fluentd/buffer/kinesis
            timekey 60
            flush_interval 1s
            chunk_limit_size 1m
            total_limit_size 512m
            flush_thread_count 4
            retry_max_interval 30
            flush_at_shutdown
          </buffer>
          <format>
            @type json
          </format>
          <inject>
            time_key time
            time_type string
            time_format %Y-%m-%dT%H:%M:%S.%NZ
            tag_key fluentd_tag
          </inject>
        </match>

        <label @FLUENT_LOG>
          <match fluent.**>
            @type stdout
          </match>
        </label>
        """#

    static let environment = ["FLUENT_SHARED_KEY": "s3cr3t", "KINESIS_STREAM": "prod-logs"]

    @Test func loadsWithEveryValueInPlace() throws {
        let root = try parseClassic(Self.fluentConf, file: "/etc/fluent/fluent.conf", environment: Self.environment)
        #expect(root.children.map(\.title) == ["<system>", "<source>", "<source>", "<filter app.**>", "<match app.**>", "<label @FLUENT_LOG>"])

        let forward = root.elements(named: "source")[0]
        let security = try #require(forward.element(named: "security"))
        #expect(security.secret("shared_key")?.reveal() == "s3cr3t")
        #expect(security.element(named: "user")?.string("password") == "changeme")
        #expect(security.string("self_hostname") == ConfigParser.hostname())
        #expect(security.element(named: "client")?.string("host") == "10.0.0.0/8")

        let tail = root.elements(named: "source")[1]
        #expect(try tail.array("path") == ["/var/log/app/*.log", "/var/log/app/**/*.log"])
        #expect(try tail.bool("read_from_head") == true)
        let parse = try #require(tail.element(named: "parse"))
        #expect(parse.string("expression") == #"/^(?<time>\d{4}-\d{2}-\d{2}T[^ ]+) (?<level>[A-Z]+) (?<message>.*)$/"#)
        #expect(try parse.hash("types")?.map(\.key) == ["status", "latency"])

        let filter = try #require(root.element(named: "filter"))
        #expect(filter.element(named: "record")?.string("environment") == "production")
        #expect(filter.element(named: "record")?.string("tag") == "${tag}")
        #expect(try filter.array("remove_keys") == ["password", "token"])

        let match = try #require(root.element(named: "match"))
        #expect(match.pluginType == "kinesis_streams")
        #expect(match.string("stream_name") == "prod-logs")
        #expect(match.string("region") == "us-east-1")
        #expect(match.parameter("region")?.location == SourceLocation(file: "/etc/fluent/fluent.conf", line: 56, column: 3))
        #expect(match.string("partition_key") == "host")
        #expect(match.element(named: "assume_role_credentials")?.string("role_session_name") == "fluentd-#{hostname}")
        let buffer = try #require(match.element(named: "buffer"))
        #expect(buffer.argument == "tag,time")
        #expect(try buffer.time("flush_interval") == 1)
        #expect(try buffer.time("timekey") == 60)
        #expect(try buffer.size("chunk_limit_size") == 1 << 20)
        #expect(try buffer.size("total_limit_size") == 512 << 20)
        #expect(try buffer.integer("flush_thread_count") == 4)
        #expect(try buffer.bool("flush_at_shutdown") == true)
        #expect(match.element(named: "format")?.pluginType == "json")
        #expect(match.element(named: "inject")?.string("tag_key") == "fluentd_tag")
        #expect(root.element(named: "label")?.element(named: "match")?.argument == "fluent.**")
    }

    @Test func unusedParametersNameWhatAPluginDidNotRead() throws {
        let root = try parseClassic(Self.fluentConf, environment: Self.environment)
        let match = try #require(root.element(named: "match"))
        for key in ["stream_name", "region"] { _ = match.string(key) }
        #expect(match.unusedParameters.map(\.key) == ["partition_key"])
    }

    @Test func dumpReadsBackToTheSameTree() throws {
        let root = try parseClassic(Self.fluentConf, environment: Self.environment)
        let again = try parseClassic(root.dump(), environment: [:])
        #expect(again.dump() == root.dump())
    }
}
