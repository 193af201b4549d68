import RunnelConfig

/// Loading configuration: classic and YAML text of a few hundred sections (start-up and SIGHUP cost).
func configBenchmarks() -> [Benchmark] {
    let sections = 500
    var classic = ""
    var yaml = "config:\n"
    for index in 0..<sections {
        classic += """
            <match app\(index).**>
              @type kinesis_streams
              stream_name "#{ENV.fetch('STREAM', 'logs')}"
              region us-east-1
              partition_key host   # a comment
              <buffer tag,time>
                @type file
                path /var/lib/runnel/buffer/\(index)
                flush_interval 1s
                chunk_limit_size 1m
              </buffer>
              <format>
                @type json
              </format>
            </match>

            """
        yaml += """
              - match:
                  $tag: app\(index).**
                  $type: kinesis_streams
                  stream_name: !fluent/s "#{ENV.fetch('STREAM', 'logs')}"
                  region: us-east-1
                  partition_key: host
                  buffer:
                    $arg: [tag, time]
                    $type: file
                    path: /var/lib/runnel/buffer/\(index)
                    flush_interval: 1s
                    chunk_limit_size: 1m
                  format:
                    $type: json

            """
    }
    let classicText = classic
    let yamlText = yaml
    let classicLines = classicText.split(separator: "\n").count
    let yamlLines = yamlText.split(separator: "\n").count
    return [
        Benchmark("config.classic.parse-lines") {
            let root = try ConfigParser.parse(text: classicText, file: "bench.conf", environment: [:])
            precondition(root.children.count == sections)
            return Work(items: classicLines, bytes: classicText.utf8.count)
        },
        Benchmark("config.yaml.parse-lines") {
            let root = try ConfigParser.parseYAML(text: yamlText, file: "bench.yaml", environment: [:])
            precondition(root.children.count == sections)
            return Work(items: yamlLines, bytes: yamlText.utf8.count)
        },
    ]
}
