import Foundation
import NIOSSL

// runnel-loadgen: Forward load (PackedForward over N connections, optional acks and rate), HTTP
// load (JSON batches POSTed to an in_http input) or file load (lines appended and rotated).
// Prints one JSON line with what it did.
// runnel-loadgen sink [--port P] [--sample-every N] [--throttle-fraction F] [--error-fraction F]
//                    [--seed N] [--shards N] [--outage START:SECONDS] [--tls-cert PEM --tls-key PEM]:
//                    a counting Kinesis endpoint for benchmarks and soak runs. --throttle-fraction
//                    answers that fraction of records ProvisionedThroughputExceededException and
//                    --error-fraction that fraction of requests 500, drawn from --seed (default 1);
//                    --shards enforces the write limits of a stream of N shards (1 MiB/s and 1,000
//                    records/s each, shard by MD5 of the partition key); --outage answers 503 to
//                    everything for SECONDS from START seconds after start-up.
if CommandLine.arguments.dropFirst().first == "sink" {
    var port = 0
    var sampleEvery = 100
    var faults = SinkFaults()
    var shards: Int?
    var outage: Range<Double>?
    var certificate: String?
    var key: String?
    var arguments = CommandLine.arguments.dropFirst(2).makeIterator()
    while let argument = arguments.next() {
        switch argument {
        case "--port": port = Int(arguments.next() ?? "") ?? 0
        case "--sample-every": sampleEvery = max(1, Int(arguments.next() ?? "") ?? 100)
        case "--throttle-fraction": faults.throttleFraction = Double(arguments.next() ?? "") ?? 0
        case "--error-fraction": faults.errorFraction = Double(arguments.next() ?? "") ?? 0
        case "--seed": faults.seed = UInt64(arguments.next() ?? "") ?? 1
        case "--shards":
            guard let count = Int(arguments.next() ?? ""), count > 0 else {
                FileHandle.standardError.write(Data("runnel-loadgen sink: --shards wants a whole number above 0\n".utf8))
                exit(2)
            }
            shards = count
        case "--outage":
            let parts = (arguments.next() ?? "").split(separator: ":").compactMap { Double($0) }
            guard parts.count == 2, parts[1] > 0 else {
                FileHandle.standardError.write(Data("runnel-loadgen sink: --outage wants START:SECONDS\n".utf8))
                exit(2)
            }
            outage = parts[0]..<(parts[0] + parts[1])
        case "--tls-cert": certificate = arguments.next()
        case "--tls-key": key = arguments.next()
        default:
            FileHandle.standardError.write(Data("runnel-loadgen sink: unknown option \(argument)\n".utf8))
            exit(2)
        }
    }
    var tls: NIOSSLContext?
    if let certificate, let key {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        tls = try NIOSSLContext(configuration: configuration)
    }
    try await KinesisSink(sampleEvery: sampleEvery, faults: faults, shards: shards, outage: outage).run(host: "127.0.0.1", port: port, tls: tls)
    exit(0)
}

do {
    let options = try LoadgenOptions.parse(Array(CommandLine.arguments.dropFirst()))
    if let path = options.filePath {
        let result = try FileLoad(options: options).run(path: path)
        print(
            "{\"mode\":\"file\",\"lines\":\(result.lines),\"bytes\":\(result.bytes),\"seconds\":\(String(format: "%.3f", result.seconds)),"
                + "\"lines_per_second\":\(String(format: "%.0f", Double(result.lines) / result.seconds))}")
    } else if options.http {
        let (totals, seconds) = try HTTPLoad(options: options).run()
        print(
            "{\"mode\":\"http\",\"sent\":\(totals.sent),\"requests\":\(totals.requests),\"retried\":\(totals.retried),\"bytes\":\(totals.bytes),"
                + "\"seconds\":\(String(format: "%.3f", seconds)),\"events_per_second\":\(String(format: "%.0f", Double(totals.sent) / seconds)),"
                + "\"requests_per_second\":\(String(format: "%.0f", Double(totals.requests) / seconds)),\"errors\":\(totals.errors.count)}")
        for error in totals.errors { FileHandle.standardError.write(Data("runnel-loadgen: \(error)\n".utf8)) }
        if !totals.errors.isEmpty { exit(1) }
    } else {
        let (totals, seconds) = try ForwardLoad(options: options).run()
        print(
            "{\"mode\":\"forward\",\"sent\":\(totals.sent),\"acknowledged\":\(totals.acknowledged),\"bytes\":\(totals.bytes),"
                + "\"seconds\":\(String(format: "%.3f", seconds)),\"events_per_second\":\(String(format: "%.0f", Double(totals.sent) / seconds)),"
                + "\"megabytes_per_second\":\(String(format: "%.1f", Double(totals.bytes) / seconds / 1_048_576)),\"errors\":\(totals.errors.count)}")
        for error in totals.errors { FileHandle.standardError.write(Data("runnel-loadgen: \(error)\n".utf8)) }
        if !totals.errors.isEmpty { exit(1) }
    }
} catch {
    FileHandle.standardError.write(Data("runnel-loadgen: \(error)\n".utf8))
    exit(2)
}
