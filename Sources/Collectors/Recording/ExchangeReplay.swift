import Foundation
import Synchronization

/// The answers of a recording, served as the clients' transport (`CurlHTTPClient(replay:)`):
/// a request gets the answer its twin got last at or before the replay's time, so the same
/// collectors that read a live Prometheus, etcd or service read the recorded run.
///
/// Requests are twins when method, URL and body agree, a form body's `time` parameter left
/// out (the ledger's counter queries carry the time they ask about). The file is read
/// forward only as the time advances, keeping one answer per request: memory is one poll's
/// answers, whatever the length of the run.
public final class ExchangeReplay: Sendable {
    private struct State {
        var latest: [String: RecordedExchange] = [:]
        var time: Int64 = .min
        var pending: RecordingFrame?
    }

    /// The reader, used under this lock alone.
    private struct Owned: @unchecked Sendable { var reader: RecordingReader }
    private let reader: Mutex<Owned>
    private let state = Mutex(State())
    /// Log lines and the load's progress met on the way, for whoever wants them.
    private let onFrame: (@Sendable (RecordingFrame) -> Void)?
    /// A replay's clock (milliseconds since 1970): each answer first reads the file up to it,
    /// so a poll right after a start or a jump gets what was recorded by then.
    private let now: (@Sendable () -> Int64)?

    public init(
        reader: RecordingReader, now: (@Sendable () -> Int64)? = nil, onFrame: (@Sendable (RecordingFrame) -> Void)? = nil
    ) {
        self.reader = Mutex(Owned(reader: reader))
        self.now = now
        self.onFrame = onFrame
    }

    /// The replay's time now, in milliseconds since 1970.
    public var time: Int64 { state.withLock { $0.time } }

    /// Reads the file up to `time` (milliseconds since 1970); the answers served from now
    /// on are the last ones recorded by then.
    public func advance(to time: Int64) {
        reader.withLock { reader in
            state.withLock { state in
                if time > state.time { state.time = time }
                while true {
                    guard let frame = state.pending ?? reader.reader.next() else { return }
                    guard frame.time <= time else {
                        state.pending = frame
                        return
                    }
                    state.pending = nil
                    if let exchange = RecordedExchange(frame) {
                        state.latest[Self.key(method: exchange.method, url: exchange.url, body: exchange.requestBody)] = exchange
                    } else {
                        onFrame?(frame)
                    }
                }
            }
        }
    }

    /// Starts again from the file's start with `reader` (a jump back): no answer is known
    /// until `advance` reads again.
    public func rewind(to reader: RecordingReader) {
        let fresh = Owned(reader: reader)
        self.reader.withLock { current in
            current = fresh
            state.withLock { $0 = State() }
        }
    }

    /// The answer for `request` at the replay's time: the recorded response, or the
    /// recorded failure; a request never recorded by then fails as a refused connection.
    public func answer(_ request: CurlRequest) -> Result<CurlResponse, CurlError> {
        if let now { advance(to: now()) }
        let key = Self.key(method: request.method, url: RecordedExchange.withoutUserInfo(request.url), body: request.body ?? [])
        guard let exchange = state.withLock({ $0.latest[key] }) else {
            return .failure(CurlError(failure: .connectRefused, code: -1, message: "not in the recording by this time"))
        }
        if let failure = exchange.failure {
            return .failure(
                CurlError(failure: TransferFailure(rawValue: failure) ?? .connectRefused, code: -1, message: exchange.message ?? failure))
        }
        return .success(CurlResponse(status: exchange.status, headers: exchange.headers, body: exchange.body))
    }

    static func key(method: String, url: String, body: [UInt8]) -> String {
        var text = String(decoding: body, as: UTF8.self)
        if text.contains("time=") {
            text = text.split(separator: "&").filter { !$0.hasPrefix("time=") }.joined(separator: "&")
        }
        return method + " " + url + "\n" + text
    }
}
