import Collectors
import Testing

@testable import MeshTop

/// `--ramp` and `--slo` as they are read, and how a step is judged.
@Suite struct LoadRampTests {
    @Test func rampStepsFromStartToEnd() throws {
        let ramp = try LoadRamp("10:400:10:5s")
        #expect(ramp.rates.count == 40)
        #expect(ramp.rates.first == 10 && ramp.rates.last == 400)
        #expect(ramp.stepDuration == .seconds(5))
        // END off the grid is still the last step.
        #expect(try LoadRamp("10:25:10:1s").rates == [10, 20, 25])
        #expect(try LoadRamp("50:50:10:500ms").rates == [50])
        #expect(try LoadRamp("0.5:1.5:0.5:1s").rates == [0.5, 1, 1.5])
    }

    @Test(arguments: ["", "10:400:10", "10:400:10:5s:1", "a:400:10:5s", "10:400:0:5s", "400:10:10:5s", "10:400:10:soon",
                      "10:400:10:0s", "0:400:10:5s", "10:100000:1:1s", "nan:400:10:5s"])
    func badRampsSayWhatIsWrong(text: String) {
        #expect(throws: LoadRampError.self) { try LoadRamp(text) }
    }

    @Test func sloObjectives() throws {
        let slo = try LoadSLO("p99<50ms, errors<0.1%,rate>95%,p99.9<1s")
        #expect(
            slo.objectives == [
                .latency(percentile: 99, milliseconds: 50), .errors(fraction: 0.001), .rate(fraction: 0.95),
                .latency(percentile: 99.9, milliseconds: 1_000),
            ])
        for bad in ["", "p99", "p99<", "p99<fast", "p100<5ms", "errors<5", "errors<200%", "latency<5ms", "p99>5ms"] {
            #expect(throws: LoadRampError.self, "\(bad)") { try LoadSLO(bad) }
        }
    }

    /// 100 requests at 10 ms and one at 300 ms (p99 10 ms, max 300); 2 of 101 failed.
    static func result(rate target: Double, elapsed: Duration = .seconds(1)) -> LoadResult {
        var result = LoadResult()
        for _ in 0..<100 { _ = result.latency.record(10_000) }
        _ = result.latency.record(300_000)
        result.requests = 101
        result.statusCodes = [200: 99, 503: 2]
        result.elapsed = elapsed
        result.targetRate = target
        return result
    }

    @Test func aStepBreaksWhatItIsPast() throws {
        let result = Self.result(rate: 101)
        #expect(try LoadSLO("p99<50ms,errors<5%,rate>95%").broken(by: result).isEmpty)
        #expect(try LoadSLO("p99<10ms").broken(by: result) == ["p99 10 ms ≥ 10 ms"])
        #expect(try LoadSLO("p99.9<100ms").broken(by: result) == ["p99.9 300 ms ≥ 100 ms"])
        #expect(try LoadSLO("errors<1%").broken(by: result) == ["errors 1.98 % ≥ 1 %"])
        // Asked 200 req/s, sent 101: past the knee whatever the latency.
        #expect(try LoadSLO("rate>95%").broken(by: Self.result(rate: 200)) == ["rate 51 % of target ≤ 95 %"])
    }

    /// A step's table: `count` requests through one hop whose calling proxy holds each `own`
    /// ms, the hop's own time 4 ms more (the network, the called proxy and its upstream).
    static func hops(own: Int, count: Int = 100) -> HopTable {
        func line(_ duration: Int, _ upstream: Int, inbound: Bool) -> AccessLogRecord {
            var record = AccessLogRecord()
            record.startTime = EnvoyTimestamp.format(seconds: 1_780_000_000, milliseconds: 0)
            record.duration = duration
            record.upstreamServiceTime = upstream
            record.direction = inbound ? .inbound : .outbound
            record.upstreamCluster = inbound ? "inbound|9080||" : "outbound|9080||storage"
            return record
        }
        var table = HopTable()
        for _ in 0..<count {
            table.add(HopTimes([RequestPair(requestID: "r", client: line(own + 4, 4, inbound: false), server: line(3, 2, inbound: true))]))
        }
        return table
    }

    /// At the knee the hop whose own p99 grew most since the last held step broke first;
    /// the load's queue is a hop too.
    @Test func theHopThatBrokeFirst() throws {
        var report = RampReport(ramp: try LoadRamp("10:20:10:1s"), slo: try LoadSLO("p99<50ms"))
        report.steps = [
            .init(number: 1, target: 10, result: Self.result(rate: 10), broken: [], hops: Self.hops(own: 5)),
            .init(number: 2, target: 20, result: Self.result(rate: 20), broken: ["p99 300 ms ≥ 50 ms"], hops: Self.hops(own: 300)),
        ]
        #expect(report.brokeHop?.name == "outbound|9080||storage")
        #expect(report.brokeHop?.before == 9 && report.brokeHop?.after == 304)
        #expect(report.text().contains("The hop that broke first: outbound|9080||storage (own p99 9 → 304 ms)"))
        // Requests waiting 400 ms for a connection at the knee: the queue grew more.
        _ = report.steps[1].result.queueing.record(400_000)
        for _ in 0..<10 { _ = report.steps[1].result.queueing.record(400_000) }
        #expect(report.brokeHop?.name == RampReport.queueHop)
    }

    @Test func theKneeIsTheFirstStepThatBroke() throws {
        let slo = try LoadSLO("p99<50ms")
        var report = RampReport(ramp: try LoadRamp("10:30:10:1s"), slo: slo)
        report.steps = [
            .init(number: 1, target: 10, result: Self.result(rate: 10), broken: []),
            .init(number: 2, target: 20, result: Self.result(rate: 20), broken: ["p99 60 ms ≥ 50 ms"]),
        ]
        #expect(report.knee?.number == 2)
        #expect(!report.heldToTarget)
        #expect(report.text().last == "Knee: 20.0 req/s (step 2): p99 60 ms ≥ 50 ms; the last step that held: 10.0 req/s")
        report.steps[1].broken = []
        #expect(!report.heldToTarget, "a ramp that stopped short of END did not hold to it")
        report.steps.append(.init(number: 3, target: 30, result: Self.result(rate: 30), broken: []))
        #expect(report.heldToTarget)
        #expect(report.text().last == "The SLO held up to 30.0 req/s")
    }
}
