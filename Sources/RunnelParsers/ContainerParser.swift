import RunnelConfig
import RunnelCore

/// `@type container`: Kubernetes node logs in either runtime's format, chosen per line: a line
/// starting with `{` is Docker json-file, anything else CRI (containerd, CRI-O). Runnel's own
/// type: lines either runtime split are joined (Docker's 16 KiB parts, CRI's `P` parts).
public struct ContainerParser: LineParser {
    var docker: DockerParser
    var cri: CRIParser

    public init(docker: DockerParser = DockerParser(), cri: CRIParser = CRIParser(joinsPartials: true)) {
        self.docker = docker
        self.cri = cri
    }

    public init(_ element: ConfigElement) throws {
        let keep = try element.bool("keep_time_key", default: true)
        self.init(
            docker: DockerParser(keepTimeKey: keep),
            cri: CRIParser(
                messageKey: element.string("message_key", default: "message"), keepTimeKey: keep,
                joinsPartials: true))
    }

    public var isHolding: Bool { docker.isHolding || cri.isHolding }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        if line.first == UInt8(ascii: "{") { return docker.parse(line, now: now, into: &output) }
        return cri.parse(line, now: now, into: &output)
    }

    public mutating func flush(now: EventTime, into output: inout ParserOutput) {
        docker.flush(now: now, into: &output)
        cri.flush(now: now, into: &output)
    }
}
