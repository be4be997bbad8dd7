import Collectors
import Foundation
import Testing

/// The PromQL of one poll of the istio profile, as meshtop fills it in by default, for
/// bench/scale.sh to fetch the same queries raw (not a check: it does nothing unless
/// MESHTOP_PRINT_QUERIES=1). One line per query: `query NAME PROMQL`, and one per range
/// query of the dashboard's start-up back-fill: `backfill NAME PROMQL`.
@Suite struct PollQueries {
    static var enabled: Bool { ProcessInfo.processInfo.environment["MESHTOP_PRINT_QUERIES"] == "1" }

    @Test(.enabled(if: enabled, "set MESHTOP_PRINT_QUERIES=1 to print the queries"))
    func printTheIstioQueries() {
        let profile = MetricsProfile.istio(IstioQueries())
        for name in profile.names { print("query \(name) \(profile.promql(name))") }
        #expect(profile.names.count == 5)
        let backfill = MeshCollector.backfillQueries(profile)
        print("backfill rate \(backfill.rate)")
        if let p99 = backfill.p99 { print("backfill p99 \(p99)") }
    }
}
