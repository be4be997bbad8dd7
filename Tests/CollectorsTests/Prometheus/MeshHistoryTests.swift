import Collectors
import Testing

@Suite struct MeshHistoryTests {
    let key = EdgeKey(
        sourceWorkload: "a", sourceNamespace: "ns", destinationWorkload: "b", destinationNamespace: "ns", destinationService: "b.ns")

    @Test func pointsStayInTimeOrderAndOneTimeIsOnePoint() {
        var history = MeshHistory()
        history.append(key, time: 10, rps: 1)
        history.append(key, time: 30, rps: 3)
        // A back-fill's older point goes between; a p99 for a known time joins its point.
        history.append(key, time: 20, rps: 2)
        history.append(key, time: 20, p99: 7)
        history.append(key, time: 30, rps: 4)
        let points = Array(history.series[key] ?? [])
        #expect(points.map(\.time) == [10, 20, 30])
        #expect(points.map(\.rps) == [1, 2, 4])
        #expect(points.map(\.p99) == [nil, 7, nil])
    }

    @Test func theOldestPointsGoPastTheCapacity() {
        var history = MeshHistory()
        for time in 0..<(MeshHistory.capacity + 5) { history.append(key, time: Double(time), rps: Double(time)) }
        let points = Array(history.series[key] ?? [])
        #expect(points.count == MeshHistory.capacity)
        #expect(points.first?.time == 5)
        #expect(points.last?.time == Double(MeshHistory.capacity + 4))
    }
}
