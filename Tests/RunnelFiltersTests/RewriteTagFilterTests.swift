import RunnelCore
import Testing

@testable import RunnelFilters

/// The examples of fluent-plugin-rewrite-tag-filter's README and tests.
@Suite struct RewriteTagFilterTests {
    static let readme = """
        <match apache.access>
          @type rewrite_tag_filter
          capitalize_regex_backreference yes
          hostname_command echo web01
          <rule>
            key     path
            pattern /\\.(gif|jpe?g|png|pdf|zip)$/
            tag     clear
          </rule>
          <rule>
            key     status
            pattern /^200$/
            tag     clear
            invert  true
          </rule>
          <rule>
            key     domain
            pattern /^.+\\.com$/
            tag     clear
            invert  true
          </rule>
          <rule>
            key     domain
            pattern /^maps\\.example\\.com$/
            tag     site.Maps
          </rule>
          <rule>
            key     domain
            pattern /^news\\.example\\.com$/
            tag     site.News
          </rule>
          <rule>
            key     agent
            pattern /(Googlebot|Bingbot)/
            tag     robot.$1
          </rule>
          <rule>
            key     domain
            pattern /^(mail)\\.(example)\\.com$/
            tag     site.$2$1
          </rule>
          <rule>
            key     domain
            pattern /.+/
            tag     site.unmatched.__HOSTNAME__
          </rule>
        </match>
        <match **>
          @type capture
        </match>
        """

    /// README: "The tag of the resulting event" for each record (the README sends `clear` to null).
    @Test(
        arguments: [
            (["path": "/img/logo.png", "status": "200", "domain": "maps.example.com"], "clear"),
            (["path": "/", "status": "404", "domain": "maps.example.com"], "clear"),
            (["path": "/", "status": "200", "domain": "example.net"], "clear"),
            (["path": "/", "status": "200", "domain": "maps.example.com"], "site.Maps"),
            (["path": "/", "status": "200", "domain": "news.example.com"], "site.News"),
            (["path": "/", "status": "200", "domain": "www.example.com", "agent": "Mozilla (compatible; googlebot/2.1)"], "site.unmatched.web01"),
            (["path": "/", "status": "200", "domain": "www.example.com", "agent": "Googlebot/2.1"], "robot.Googlebot"),
            (["path": "/", "status": "200", "domain": "mail.example.com"], "site.ExampleMail"),
            (["path": "/", "status": "200", "domain": "other.example.com"], "site.unmatched.web01"),
        ] as [([String: String], String?)])
    func readmeRules(record: [String: String], expected: String?) async throws {
        let harness = try Harness(Self.readme)
        let value = MessagePackValue.map(record.sorted { $0.key < $1.key }.map { MessagePackPair(key: .string($0.key), value: .string($0.value)) })
        try await harness.emit("apache.access", [value])
        // googlebot in lower case matches no rule with the case-sensitive pattern: the last rule takes it.
        #expect(harness.out.tags == (expected.map { [$0] } ?? []))
    }

    @Test(arguments: [
        ("p.${tag}", "p.kubernetes.var.log.app"),
        ("p.__TAG__", "p.kubernetes.var.log.app"),
        ("k.${tag_parts[0]}.${tag_parts[3]}", "k.kubernetes.app"),
        ("x.${tag_parts[9]}", "x."),
        ("h.${hostname}", "h.web01"),
        ("u.${unknown}", "u."),
        ("p.__TAG_PARTS[0]__", "p.__TAG_PARTS[0]__"),
    ])
    func placeholders(template: String, expected: String) async throws {
        let harness = try Harness(
            """
            <match kubernetes.**>
              @type rewrite_tag_filter
              hostname_command echo web01
              <rule>
                key log
                pattern /./
                tag \(template)
              </rule>
            </match>
            <match **>
              @type capture
            </match>
            """)
        try await harness.emit("kubernetes.var.log.app", [.map([MessagePackPair(key: "log", value: "line")])])
        #expect(harness.out.tags == [expected])
    }

    @Test func removeTagPrefixAppliesToPlaceholders() async throws {
        let harness = try Harness(
            """
            <match input.**>
              @type rewrite_tag_filter
              remove_tag_prefix input
              <rule>
                key level
                pattern /^(\\w+)$/
                tag $1.${tag}
              </rule>
            </match>
            <match **>
              @type capture
            </match>
            """)
        try await harness.emit("input.app.web", [.map([MessagePackPair(key: "level", value: "error")])])
        #expect(harness.out.tags == ["error.app.web"])
    }

    /// An event whose tag would not change is dropped, or it would come back here forever.
    @Test func sameTagIsDroppedNotLooped() async throws {
        let harness = try Harness(
            """
            <match app>
              @type rewrite_tag_filter
              <rule>
                key message
                pattern /.*/
                tag ${tag}
              </rule>
            </match>
            <match **>
              @type capture
            </match>
            """)
        try await harness.emit("app", [.map([MessagePackPair(key: "message", value: "hi")])])
        #expect(harness.out.tags.isEmpty)
    }

    @Test func nestedKeysAndRuleLabels() async throws {
        let harness = try Harness(
            """
            <match k8s.**>
              @type rewrite_tag_filter
              <rule>
                key $.kubernetes.namespace_name
                pattern /^(kube-system)$/
                tag system.$1
                label @SYSTEM
              </rule>
              <rule>
                key $.kubernetes.namespace_name
                pattern /.+/
                tag app.${tag_parts[1]}
              </rule>
            </match>
            <match app.**>
              @type capture
              name app
            </match>
            <label @SYSTEM>
              <match **>
                @type capture
                name system
              </match>
            </label>
            """, captureNames: ["app", "system"])
        func record(_ namespace: String) -> MessagePackValue {
            .map([MessagePackPair(key: "kubernetes", value: .map([MessagePackPair(key: "namespace_name", value: .string(namespace))]))])
        }
        try await harness.emit("k8s.pod", [record("kube-system"), record("default"), record("default"), .map([])])
        #expect(harness.captures["system"]!.tags == ["system.kube-system"])
        #expect(harness.captures["app"]!.tags == ["app.pod", "app.pod"])
        // emit_mode batch: one stream per new tag.
        #expect(harness.captures["app"]!.received.withLock { $0.count } == 1)
    }

    @Test(arguments: [
        ("", "missing rewriterules"),
        ("rewriterule1 message ^a$ a", "\"rewriterule<num>\" support has been dropped"),
        ("<rule>\nkey a\npattern /x/\ntag t\n</rule>\n<rule>\nkey a\npattern /x/\ntag u\n</rule>", "duplicated rewriterules"),
        ("<rule>\nkey a\npattern /(/\ntag t\n</rule>", "pattern"),
        ("<rule>\nkey a\npattern /x/\n</rule>", "tag"),
        ("<rule>\nkey a\npattern /x/\ntag ${tag_parts[0..1]}\n</rule>", "does not support range"),
        ("remove_tag_prefix a\nremove_tag_regexp /^b/\n<rule>\nkey a\npattern /x/\ntag t\n</rule>", "exclusive"),
        ("emit_mode all\n<rule>\nkey a\npattern /x/\ntag t\n</rule>", "emit_mode"),
        ("<rule>\nkey a\npattern /x/\ntag t\nlabel @NOPE\n</rule>", "@NOPE"),
    ])
    func configurationErrors(body: String, message: String) {
        let error = configError("<match a>\n@type rewrite_tag_filter\n\(body)\n</match>\n<match **>\n@type capture\n</match>")
        #expect(error.contains(message), "\(error)")
        #expect(error.contains("test.conf"), "\(error)")
    }

    @Test func capitalizeIsRubys() {
        #expect(RewriteTagFilterOutput.rubyCapitalize("gOOGLEbot") == "Googlebot")
        #expect(RewriteTagFilterOutput.rubyCapitalize("") == "")
    }
}
