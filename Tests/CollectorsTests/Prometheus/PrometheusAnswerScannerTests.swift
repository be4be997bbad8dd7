import Testing

@testable import Collectors

/// The byte-level reading of an answer agrees with Foundation's on what it takes, and
/// leaves everything else to it.
@Suite struct PrometheusAnswerScannerTests {
    static let taken = [
        #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"destination_workload":"storage","le":"+Inf"},"value":[1764244800.123,"12.5"]},{"metric":{},"value":[1764244800,"NaN"]},{"metric":{"a":"b"},"value":[1.7e9,"-Inf"]}]}}"#,
        // Escapes, non-ASCII, a surrogate pair, whitespace, keys in another order, keys meshtop ignores.
        " {\"data\" : {\"result\": [ {\"metric\": {\"path\": \"/a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00 ü\", \"x_long_label_name_for_sharing\": \"a value longer than fifteen\"}, \"value\": [ 1, \"2\" ], \"histogram\": {\"count\": \"1\"} } ], \"resultType\" : \"vector\", \"extra\": [true, false, null, -1.5e-3, {}]}, \"status\": \"success\", \"infos\": [\"i\"] }\n",
        #"{"status":"success","warnings":["partial: store \u001b[31m down"],"data":{"resultType":"matrix","result":[{"metric":{"le":"1"},"values":[[1,"1"],[16,"2.25"]]},{"metric":{"le":"1"},"values":[]}]}}"#,
        #"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
    ]

    static let left = [
        #"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
        #"{"status":"success","data":{"resultType":"scalar","result":[1764244800,"1"]}}"#,
        #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"2"]}]}}"#,
        #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}"#,
        #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}}"#,
        #"{"status":"success","data":{"resultType":"vector","result":[]}} trailing"#,
        #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"\ud83d"},"value":[1,"2"]}]}}"#,
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"a\":\"x\u{01}y\"},\"value\":[1,\"2\"]}]}}",
        "<html>502 Bad Gateway</html>", "",
    ]

    @Test(arguments: taken)
    func readsWhatFoundationReads(_ text: String) throws {
        let body = Array(text.utf8)
        let fast = try #require(PrometheusAnswerScanner.answer(body))
        #expect(fast == (try PrometheusAnswer.decodeAnyJSON(status: 200, body: body)))
    }

    @Test(arguments: left)
    func leavesTheRestToFoundation(_ text: String) {
        #expect(PrometheusAnswerScanner.answer(Array(text.utf8)) == nil)
    }

    @Test func sharedLabelNamesKeepEachSeriesValue() throws {
        let text = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"destination_workload_namespace":"a"},"value":[1,"1"]},{"metric":{"destination_workload_namespace":"b"},"value":[1,"2"]}]}}"#
        let series = try #require(PrometheusAnswerScanner.answer(Array(text.utf8))).result.series
        #expect(series.map { $0.labels["destination_workload_namespace"] } == ["a", "b"])
    }
}
