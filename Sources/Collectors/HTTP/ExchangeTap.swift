/// Hears one HTTP exchange of a client: what was asked, what came back (or why nothing
/// did) and how long it took. Called by the task that sent it, once it is over.
public typealias ExchangeTap = @Sendable (_ request: CurlRequest, _ outcome: Result<CurlResponse, CurlError>, _ latency: Duration) -> Void
