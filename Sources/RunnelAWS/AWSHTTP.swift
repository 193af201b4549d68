import AsyncHTTPClient
import Foundation
import NIOCore

/// One HTTP exchange with a credentials endpoint, its failures turned into `RunnelAWSError`.
enum AWSHTTP {
    struct Response {
        var status: Int
        var body: String
    }

    /// Answers are small; anything bigger than this is not a credentials document.
    static let maximumBody = 1 << 20

    static func send(
        _ request: HTTPClientRequest, client: HTTPClient, source: String, endpoint: String, timeout: TimeAmount
    ) async throws -> Response {
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: maximumBody)
            return Response(status: Int(response.status.code), body: String(buffer: body))
        } catch {
            throw classify(error, source: source, endpoint: endpoint, timeout: timeout)
        }
    }

    /// A transport failure as the `RunnelAWSError` that says what happened (timed out, or could not connect).
    static func classify(_ error: any Error, source: String, endpoint: String, timeout: TimeAmount) -> any Error {
        let seconds = Double(timeout.nanoseconds) / 1e9
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return RunnelAWSError.timedOut(source: source, endpoint: endpoint, seconds: seconds)
            default:
                return RunnelAWSError.connectionFailed(source: source, endpoint: endpoint, reason: "\(error)")
            }
        case let error as RunnelAWSError: return error
        case is CancellationError: return CancellationError()
        default: return RunnelAWSError.connectionFailed(source: source, endpoint: endpoint, reason: "\(error)")
        }
    }
}
