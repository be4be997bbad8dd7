import Collectors
import Foundation
import TestSupport
import Testing

/// The access-log formats the local mesh gives its proxies are the ones meshtop knows:
/// Istio's default TEXT format as `IstioFormats.current`, and Istio's JSON encoding with the
/// keys of meshtop's record, each holding an operator of that TEXT format.
@Suite(.enabled(if: LocalMesh.python != nil || Tool.underCI, "python3 is not installed"))
struct MeshFormatsTests {
    @Test func theTextFormatIsIstiosCurrentDefault() async throws {
        #expect(try await LocalMesh.printFormat(.text) == IstioFormats.current)
    }

    @Test func theJSONEncodingHasIstiosKeysAndOperators() async throws {
        let printed = try await LocalMesh.printFormat(.json)
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: String], "\(printed)")
        #expect(Set(fields.keys) == Set(AccessLogField.allCases.map(\.rawValue)))
        for (key, command) in fields {
            #expect(command.hasPrefix("%") && command.hasSuffix("%") && IstioFormats.current.contains(command), "\(key): \(command)")
        }
        #expect(fields["upstream_cluster"] == "%UPSTREAM_CLUSTER_RAW%")
    }
}
