import RunnelConfig
import RunnelCore
@testable import RunnelParsers

let fixedNow = EventTime(seconds: 1_700_000_000)

/// Parses lines with a fresh parser built from a `<parse>` section; returns outcomes and events.
func run(_ parameters: KeyValuePairs<String, String>, _ lines: [String], flush: Bool = false)
    throws -> (outcomes: [ParseOutcome], events: [(time: EventTime, record: MessagePackValue)])
{
    var parser = try ParserRegistry.makeParser(element: ConfigElement("parse", "", parameters))
    var output = ParserOutput()
    var outcomes: [ParseOutcome] = []
    for line in lines { outcomes.append(parser.parse(line, now: fixedNow, into: &output)) }
    if flush { parser.flush(now: fixedNow, into: &output) }
    return (outcomes, output.decoded())
}

func utc(_ text: String, _ format: String) -> EventTime? {
    TimeParser(format: format, zone: .fixed(offsetSeconds: 0)).parse(text, now: fixedNow)
}
