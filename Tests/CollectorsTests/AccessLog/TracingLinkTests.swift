import Collectors
import Testing

@Suite struct TracingLinkTests {
    @Test func traceparentAndB3GiveTheTraceID() {
        #expect(TracingLink.traceID(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(TracingLink.traceID(traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01") == nil)
        #expect(TracingLink.traceID(traceparent: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == nil)
        #expect(TracingLink.traceID(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01") == nil)
        #expect(TracingLink.traceID(traceparent: "-") == nil)
        var record = AccessLogRecord()
        record.extra["req(traceparent)"] = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"
        #expect(TracingLink.traceID(record) == "4bf92f3577b34da6a3ce929d0e0e4736")
        var b3 = AccessLogRecord()
        b3.extra["req(x-b3-traceid)"] = "80f198ee56343ba8"
        #expect(TracingLink.traceID(b3) == "80f198ee56343ba8")
        #expect(TracingLink.traceID(AccessLogRecord()) == nil)
    }

    @Test func linksFillAndEncodeTheirPlaceholders() {
        let jaeger = TracingLink(template: "http://jaeger:16686/trace/{trace_id}?rid={request_id}")
        #expect(jaeger.url(requestID: "a b&c", traceID: "4bf9") == .success("http://jaeger:16686/trace/4bf9?rid=a%20b%26c"))
        #expect(jaeger.url(requestID: "r1", traceID: nil) == .failure(.init(placeholder: "{trace_id}")))
        let byRequest = TracingLink(template: "https://tempo/search?q={request_id}")
        #expect(byRequest.url(requestID: "r1", traceID: nil) == .success("https://tempo/search?q=r1"))
        #expect(jaeger.sample == "http://jaeger:16686/trace/0?rid=r")
    }
}
