import HTTPTypes
import Testing

@testable import StorageService

@Suite struct PeerIdentityTests {
    @Test(arguments: [
        ("sidecar~10.244.0.7~productpage-v1-6b746f74dc-9rlmh.default~default.svc.cluster.local", "productpage-v1", "default"),
        ("router~10.244.0.9~istio-ingressgateway-5d8f9c7b4-x2x4z.istio-system~istio-system.svc.cluster.local",
         "istio-ingressgateway", "istio-system"),
        ("sidecar~10.244.0.3~etcd-2.default~default.svc.cluster.local", "etcd", "default"),
        ("router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local", "istio-ingressgateway", "istio-system"),
    ])
    func nodeIDsNameTheWorkloadAsIstioDoes(nodeID: String, workload: String, namespace: String) throws {
        let peer = try #require(PeerIdentity(nodeID: nodeID))
        #expect(peer == PeerIdentity(workload: workload, namespace: namespace))
    }

    @Test(arguments: [
        "", "sidecar~10.0.0.1~nodot~x", "a~b~c.d", "sidecar~1~Pod.Default~x", "sidecar~1~pod.ns\u{1b}[2J~x",
        "sidecar~1~pod\u{202e}.ns~x", "sidecar~1~.ns~x", "sidecar~1~pod.~x", "sidecar~1~" + String(repeating: "a", count: 600) + ".ns~x",
    ])
    func anythingElseIsIgnored(nodeID: String) {
        #expect(PeerIdentity(nodeID: nodeID) == nil)
    }

    @Test func theHeaderIsRead() {
        var headers = HTTPFields()
        #expect(PeerIdentity(from: headers) == nil)
        headers[PeerIdentity.headerName] = "sidecar~1~web-7d4b9c8f6d-abcde.shop~shop.svc.cluster.local"
        #expect(PeerIdentity(from: headers) == PeerIdentity(workload: "web", namespace: "shop"))
    }
}
