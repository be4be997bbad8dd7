import Collectors
import Testing

/// The client-side line of `meshtop load` and storage-service's etcd calls: one builder.
@Suite struct OutboundRecordTests {
    private let outbound = OutboundRecord(
        method: "PUT", path: "/v3/kv/put", authority: "127.0.0.1:2379", host: "127.0.0.1", port: 2379, userAgent: "storage-service",
        requestBytes: 88)

    @Test func answeredExchange() {
        let record = outbound.record(
            startTime: "2026-11-27T12:34:57.512Z", status: 200, failure: nil, responseBytes: 114, durationMilliseconds: 8,
            requestID: "834ed8c3-e8e7-43b4-96bb-d0652543a8be")
        #expect(record.direction == .outbound)
        #expect(record.upstreamCluster == "outbound|2379||127.0.0.1")
        #expect(record.authority == "127.0.0.1:2379" && record.upstreamHost == "127.0.0.1:2379")
        #expect(record.responseCode == 200 && record.responseFlags == nil && record.responseCodeDetails == "via_upstream")
        #expect(record.bytesReceived == 88 && record.bytesSent == 114)
        #expect(record.duration == 8 && record.upstreamServiceTime == 8)
        // Written and read back in the istio format, as meshtop reads the file.
        let line = AccessLogWriter(format: IstioFormats.istio).line(for: record)
        #expect(
            line
                == #"[2026-11-27T12:34:57.512Z] "PUT /v3/kv/put HTTP/1.1" 200 - via_upstream - "-" 88 114 8 8 "-" "storage-service" "834ed8c3-e8e7-43b4-96bb-d0652543a8be" "127.0.0.1:2379" "127.0.0.1:2379" outbound|2379||127.0.0.1 - - - - default"#)
    }

    @Test(arguments: [
        (TransferFailure.connectRefused, "UF", "upstream_reset_before_response_started{connection_failure}"),
        (.connectTimeout, "UF", "upstream_reset_before_response_started{connection_timeout}"),
        (.dns, "DF", "dns_resolution_failure"),
        (.timeout, "UT", "upstream_response_timeout"),
        (.reset, "UC", "upstream_reset_before_response_started{connection_termination}"),
        (.tooLarge, "LR", "response_payload_too_large"),
    ])
    func failedExchangeCarriesEnvoysFlag(failure: TransferFailure, flag: String, details: String) {
        let record = outbound.record(
            startTime: "2026-11-27T12:34:57.512Z", status: 0, failure: failure, responseBytes: 0, durationMilliseconds: 1_000,
            requestID: "r1", requestBytes: 3)
        #expect(record.responseCode == 0)
        #expect(record.responseFlags == flag && failure.responseFlag == flag)
        #expect(record.responseCodeDetails == details)
        #expect(record.upstreamServiceTime == nil)
        #expect(record.bytesReceived == 3)
        // The flag survives the line: the Requests panel and `logs` read it back.
        let format = IstioFormats.istio
        let parsed = AccessLogParser(format: format).parse(AccessLogWriter(format: format).line(for: record))
        #expect(parsed?.responseFlags == flag && parsed?.direction == .outbound)
    }

    @Test func everyFailureHasAFlagAndALabelOfItsOwn() {
        let labels = TransferFailure.allCases.map(\.label)
        #expect(Set(labels).count == labels.count)
        #expect(TransferFailure.allCases.allSatisfy { !$0.responseFlag.isEmpty && !$0.responseCodeDetails.isEmpty })
        // The load report's word for a refused connection stays what it was.
        #expect(TransferFailure.connectRefused.label == "connect")
    }
}
