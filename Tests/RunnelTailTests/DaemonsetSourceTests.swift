import Foundation
import RunnelConfig
import RunnelCore
import RunnelParsers
import Testing
@testable import RunnelTail

/// The `<source>` sections of the fluentd-kubernetes-daemonset Kinesis image
/// (docker-image/v1.19/debian-kinesis/conf/kubernetes/*.conf), pos_file written as plain paths:
/// each loads, and every parameter in it is read (no "not used" warning under --strict).
struct DaemonsetSourceTests {
    static let sources = #"""
        <source>
          @type tail
          @id in_tail_container_logs
          path /var/log/containers/*.log
          pos_file /var/log/fluentd-containers.log.pos
          tag kubernetes.*
          read_from_head true
          <parse>
            @type json
            time_format %Y-%m-%dT%H:%M:%S.%NZ
          </parse>
        </source>
        <source>
          @type tail
          @id in_tail_docker
          path /var/log/docker.log
          pos_file /var/log/fluentd-docker.log.pos
          tag docker
          <parse>
            @type regexp
            expression /^time="(?<time>[^)]*)" level=(?<severity>[^ ]*) msg="(?<message>[^"]*)"( err="(?<error>[^"]*)")?( statusCode=($<status_code>\d+))?/
          </parse>
        </source>
        <source>
          @type tail
          @id in_tail_etcd
          path /var/log/etcd.log
          pos_file /var/log/fluentd-etcd.log.pos
          tag etcd
          <parse>
            @type none
          </parse>
        </source>
        <source>
          @type tail
          @id in_tail_kubelet
          multiline_flush_interval 5s
          path /var/log/kubelet.log
          pos_file /var/log/fluentd-kubelet.log.pos
          tag kubelet
          <parse>
            @type kubernetes
          </parse>
        </source>
        <source>
          @type tail
          @id in_tail_kube_apiserver_audit
          multiline_flush_interval 5s
          path /var/log/kubernetes/kube-apiserver-audit.log
          pos_file /var/log/kube-apiserver-audit.log.pos
          tag kube-apiserver-audit
          <parse>
            @type multiline
            format_firstline /^\S+\s+AUDIT:/
            format1 /^(?<time>\S+) AUDIT:(?: (?:id="(?<id>(?:[^"\\]|\\.)*)"|ip="(?<ip>(?:[^"\\]|\\.)*)"|method="(?<method>(?:[^"\\]|\\.)*)"|user="(?<user>(?:[^"\\]|\\.)*)"|groups="(?<groups>(?:[^"\\]|\\.)*)"|as="(?<as>(?:[^"\\]|\\.)*)"|asgroups="(?<asgroups>(?:[^"\\]|\\.)*)"|namespace="(?<namespace>(?:[^"\\]|\\.)*)"|uri="(?<uri>(?:[^"\\]|\\.)*)"|response="(?<response>(?:[^"\\]|\\.)*)"|\w+="(?:[^"\\]|\\.)*"))*/
            time_format %Y-%m-%dT%T.%L%Z
          </parse>
        </source>
        <source>
          @type tail
          @id in_tail_minion
          path /var/log/salt/minion
          pos_file /var/log/fluentd-salt.pos
          tag salt
          <parse>
            @type regexp
            expression /^(?<time>[^ ]* [^ ,]*)[^\[]*\[[^\]]*\]\[(?<severity>[^ \]]*) *\] (?<message>.*)$/
            time_format %Y-%m-%d %H:%M:%S
          </parse>
        </source>
        <source>
          @type tail
          @id in_tail_startupscript
          path /var/log/startupscript.log
          pos_file /var/log/fluentd-startupscript.log.pos
          tag startupscript
          <parse>
            @type syslog
          </parse>
        </source>
        """#

    @Test func everySourceLoadsWithEveryParameterRead() throws {
        let root = try ConfigParser.parse(text: DaemonsetSourceTests.sources, file: "/etc/fluent/kubernetes.conf", environment: [:])
        let sources = root.elements(named: "source")
        #expect(sources.count == 7)
        for source in sources {
            _ = try TailInputConfiguration(source)
            _ = try ParserRegistry.makeParser(pluginSection: source)
        }
        let unused = root.unusedParametersInTree.filter { !$0.parameter.key.hasPrefix("@") }
        #expect(unused.map { "\($0.path) \($0.parameter.key)" } == [])
    }

    /// The audit log's multiline format (one audit line per event) gives the named fields that are there.
    @Test func auditLogLine() throws {
        let root = try ConfigParser.parse(text: DaemonsetSourceTests.sources, file: "/etc/fluent/kubernetes.conf", environment: [:])
        let audit = root.elements(named: "source")[4]
        var parser = try ParserRegistry.makeParser(pluginSection: audit)
        var output = ParserOutput()
        _ = parser.parse(
            #"2017-02-09T00:15:57.992775796Z AUDIT: id="90c73c7c" ip="104.132.1.72" method="GET" user="kubecfg" as="<self>" asgroups="<lookup>" namespace="default" uri="/api/v1/namespaces/default/pods""#,
            now: EventTime(seconds: 1_700_000_000), into: &output)
        _ = parser.parse(#"2017-02-09T00:15:57.993528822Z AUDIT: id="90c73c7c" response="200""#, now: EventTime(seconds: 1_700_000_000), into: &output)
        parser.flush(now: EventTime(seconds: 1_700_000_000), into: &output)
        #expect(
            output.decoded().map(\.record) == [
                .record([
                    "id": "90c73c7c", "ip": "104.132.1.72", "method": "GET", "user": "kubecfg", "as": "<self>",
                    "asgroups": "<lookup>", "namespace": "default", "uri": "/api/v1/namespaces/default/pods",
                ]),
                .record(["id": "90c73c7c", "response": "200"]),
            ])
        #expect(output.decoded().first?.time.seconds == 1_486_599_357)
    }

    @Test func unknownParserTypeNamesFileAndLine() throws {
        let text = "<source>\n  @type tail\n  path /x\n  tag x\n  <parse>\n    @type glog\n  </parse>\n</source>\n"
        let root = try ConfigParser.parse(text: text, file: "/etc/fluent/app.conf", environment: [:])
        let error = #expect(throws: ConfigError.self) { try ParserRegistry.makeParser(pluginSection: root.elements(named: "source")[0]) }
        #expect(error?.description.hasPrefix("/etc/fluent/app.conf:6") == true)
        #expect(error?.message.contains("unknown parser type 'glog'") == true)
    }
}
