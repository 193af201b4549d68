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
        let seconds = Double(timeout.nanoseconds) / 1e9
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: maximumBody)
            return Response(status: Int(response.status.code), body: String(buffer: body))
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                throw RunnelAWSError.timedOut(source: source, endpoint: endpoint, seconds: seconds)
            default:
                throw RunnelAWSError.connectionFailed(source: source, endpoint: endpoint, reason: "\(error)")
            }
        } catch let error as RunnelAWSError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw RunnelAWSError.connectionFailed(source: source, endpoint: endpoint, reason: "\(error)")
        }
    }
}
