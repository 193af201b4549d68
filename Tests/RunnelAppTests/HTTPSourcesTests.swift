import Foundation
import Logging
import RunnelConfig
import Testing

@testable import RunnelApp

/// Fluentd `<source>` sections of the http and sample inputs load with every parameter read.
@Suite struct HTTPSourcesTests {
    static let configuration = #"""
        <source>
          @type http
          @id in_http
          port 0
          bind 127.0.0.1
          body_size_limit 16m
          keepalive_timeout 30s
          backlog 64
          add_http_headers true
          add_remote_addr true
          add_query_params true
          cors_allow_origins ["https://*.example.com", "https://example.org"]
          cors_allow_credentials true
          respond_with_empty_img false
          use_204_response true
          dump_error_log false
          blocking_timeout 0.5
          cloudevents true
          cloudevents_tag events.${type}
          cloudevents_payload event
          <parse>
            @type in_http
            keep_time_key true
          </parse>
        </source>
        <source>
          @type http
          port 0
          bind 127.0.0.1
          <parse>
            @type regexp
            expression /^(?<level>\w+) (?<message>.*)$/
          </parse>
        </source>
        <source>
          @type dummy
          tag demo
          rate 10
          size 2
          auto_increment_key id
          suspend false
          dummy [{"a":1},{"b":2}]
        </source>
        <match **>
          @type null
        </match>

        """#

    @Test func everyParameterIsRead() throws {
        let (directory, file) = try ConfigurationCheckTests.write(Self.configuration)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pipeline = try RunnelRuntime(configPath: file, registry: PluginCatalog.registry(), logger: Logger(label: "test"), strict: true).loadPipeline()
        #expect(pipeline.inputs.map(\.type) == ["http", "http", "dummy"])
    }
}
