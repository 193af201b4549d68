import Foundation
import Logging
import RunnelConfig
import Testing

@testable import RunnelApp

/// Fluentd `<source>` sections of the syslog, tcp and udp inputs load with every parameter read.
@Suite struct SyslogSourcesTests {
    static let configuration = #"""
        <source>
          @type syslog
          port 0
          bind 127.0.0.1
          tag system
          severity_key severity
          facility_key facility
          source_hostname_key hostname
          source_address_key address
          emit_unmatched_lines true
          frame_type octet_count
          message_length_limit 4k
          <transport tcp>
          </transport>
          <parse>
            message_format auto
            rfc5424_time_format %Y-%m-%dT%H:%M:%S.%L%z
          </parse>
        </source>
        <source>
          @type tcp
          port 0
          tag app
          delimiter "\r\n"
          message_length_limit 1m
          source_hostname_key host
          <parse>
            @type json
          </parse>
        </source>
        <source>
          @type udp
          port 0
          tag metrics
          message_length_limit 8k
          remove_newline false
          receive_buffer_size 1m
          format none
        </source>
        <match **>
          @type null
        </match>

        """#

    @Test func everyParameterIsRead() throws {
        let (directory, file) = try ConfigurationCheckTests.write(Self.configuration)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pipeline = try RunnelRuntime(configPath: file, registry: PluginCatalog.registry(), logger: Logger(label: "test"), strict: true).loadPipeline()
        #expect(pipeline.inputs.map(\.type) == ["syslog", "tcp", "udp"])
    }

    @Test func tcpWithoutParseIsAnError() throws {
        let (directory, file) = try ConfigurationCheckTests.write("<source>\n  @type tcp\n  tag app\n</source>\n<match **>\n  @type null\n</match>\n")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            _ = try RunnelRuntime(configPath: file, registry: PluginCatalog.registry(), logger: Logger(label: "test"), strict: true).loadPipeline()
        } throws: { error in
            "\(error)".contains("<parse> section is required")
        }
    }
}
