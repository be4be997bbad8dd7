import Collectors
import Testing

@Suite struct TextInternerTests {
    @Test func sameTextSameNumber() {
        var interner = TextInterner()
        let a = interner.number(for: "storage:9080")
        let b = interner.number(for: "etcd-service:2379")
        #expect(a != b)
        #expect(interner.number(for: "storage:9080") == a)
        #expect(interner.number(for: "storage:908") != a)
        #expect(interner.texts == ["storage:9080", "etcd-service:2379", "storage:908"])
        // Many texts, so that some share a table slot: each keeps its own number.
        let numbers = (0..<5_000).map { interner.number(for: "host-\($0):80") }
        #expect(Set(numbers).count == 5_000)
        #expect((0..<5_000).map { interner.number(for: "host-\($0):80") } == numbers)
    }
}
