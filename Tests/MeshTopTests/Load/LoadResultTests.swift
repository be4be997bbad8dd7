import Testing

@testable import MeshTop

@Suite struct LoadResultTests {
    /// The Load panel's "errors": a proxy's own 503 (a fault, a circuit breaker) is an
    /// answer, but the request failed all the same.
    @Test func failedCountsNoAnswerAndFiveHundreds() {
        var result = LoadResult()
        result.statusCodes = [200: 70, 404: 5, 503: 20, 504: 1]
        result.errors = ["connect": 3, "timeout": 1]
        #expect(result.errorCount == 4)
        #expect(result.failedCount == 25)
        #expect(LoadResult().failedCount == 0)
    }
}
