import Foundation
import HTTPTypes
import Testing

@testable import StorageService

@Suite struct MeshHeadersTests {
    @Test func tracingHeadersAreForwardedWithTheRequestID() {
        var inbound = HTTPFields()
        inbound[HTTPField.Name("x-request-id")!] = "rid-1"
        inbound[HTTPField.Name("traceparent")!] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        inbound[HTTPField.Name("x-b3-sampled")!] = "1"
        inbound[HTTPField.Name("baggage")!] = "tenant=a"
        inbound[HTTPField.Name("cookie")!] = "secret=1"
        let mesh = MeshHeaders(from: inbound)
        #expect(mesh.requestID == "rid-1")
        let outbound = Dictionary(uniqueKeysWithValues: mesh.outbound.map { ($0.name, $0.value) })
        #expect(mesh.outbound.first?.name == "x-request-id")
        #expect(outbound["x-request-id"] == "rid-1")
        #expect(outbound["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        #expect(outbound["x-b3-sampled"] == "1")
        #expect(outbound["baggage"] == "tenant=a")
        #expect(outbound["cookie"] == nil)
        #expect(outbound.count == 4)
    }

    @Test func missingOrEmptyRequestIDGetsAFreshUUIDv4() throws {
        var empty = HTTPFields()
        empty[HTTPField.Name("x-request-id")!] = ""
        for fields in [HTTPFields(), empty] {
            let id = MeshHeaders(from: fields).requestID
            let uuid = try #require(UUID(uuidString: id))
            #expect(id == id.lowercased())
            #expect(uuid.uuid.6 >> 4 == 4)  // version nibble
        }
        #expect(MeshHeaders(from: HTTPFields()).requestID != MeshHeaders(from: HTTPFields()).requestID)
    }
}
