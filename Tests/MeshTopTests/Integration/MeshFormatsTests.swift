import Collectors
import Foundation
import TestSupport
import Testing

/// The access-log formats the local mesh gives its proxies are the ones meshtop knows:
/// Istio's default TEXT format as `IstioFormats.current`, and Istio's JSON encoding with the
/// keys and operators `EnvoyFormatsTests` checks against a real Envoy.
@Suite(.enabled(if: LocalMesh.python != nil || Tool.underCI, "python3 is not installed"))
struct MeshFormatsTests {
    @Test func theTextFormatIsIstiosCurrentDefault() async throws {
        #expect(try await LocalMesh.printFormat(.text) == IstioFormats.current)
    }

    @Test func theJSONEncodingHasIstiosKeysAndOperators() async throws {
        let printed = try await LocalMesh.printFormat(.json)
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: String], "\(printed)")
        #expect(fields == EnvoyFormatsTests.istioJSON)
    }
}
