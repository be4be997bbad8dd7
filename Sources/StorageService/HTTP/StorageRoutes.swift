import Foundation
import Hummingbird

/// The storage API of the original app, plus probes, metrics and the web UI.
struct StorageRoutes: Sendable {
    static let liveness = "Simple test for liveliness of the application!"

    let store: any EtcdStore
    let telemetry: Telemetry

    private struct NodeAnswer: Encodable {
        var action: String
        var node: StoredNode
        var prevNode: StoredNode?
    }

    private struct Directory: Encodable {
        var dir = true
        var nodes: [StoredNode]
    }

    private struct DirectoryAnswer: Encodable {
        var action = "get"
        var node: Directory
    }

    private struct KeyNotFound: Encodable {
        var errorCode = 100
        var message = "Key not found"
        var cause: String
    }

    func register(on router: Router<ServiceRequestContext>) {
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: Self.liveness)))
        }
        router.put("/storage") { request, context in try await put(request, context) }
        router.get("/storage") { _, context in try await list(context) }
        router.get("/storage/:key") { _, context in try await get(context) }
        router.delete("/storage/:key") { _, context in try await delete(context) }
        router.get("/healthz") { _, _ in JSONBody.response(.ok, ["status": "up"]) }
        router.get("/readyz") { _, context in await ready(context) }
        router.get("/metrics") { _, _ in telemetry.metricsResponse() }
        WebUI.register(on: router)
    }

    private func put(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let (key, value) = try Self.decodePut(body)
        let result = try await storeCall { () async throws(StoreError) in
            try await store.put(key: key, value: value, headers: context.mesh)
        }
        return JSONBody.response(.created, NodeAnswer(action: "set", node: result.node, prevNode: result.prevNode))
    }

    private func get(_ context: ServiceRequestContext) async throws -> Response {
        let key = try StorageKey.fromPath(try context.parameters.require("key"))
        let node = try await storeCall { () async throws(StoreError) in
            try await store.get(key: key, headers: context.mesh)
        }
        guard let node else { return JSONBody.response(.notFound, KeyNotFound(cause: "/" + key)) }
        return JSONBody.response(.ok, NodeAnswer(action: "get", node: node))
    }

    private func list(_ context: ServiceRequestContext) async throws -> Response {
        let nodes = try await storeCall { () async throws(StoreError) in try await store.list(headers: context.mesh) }
        return JSONBody.response(.ok, DirectoryAnswer(node: Directory(nodes: nodes)))
    }

    private func delete(_ context: ServiceRequestContext) async throws -> Response {
        let key = try StorageKey.fromPath(try context.parameters.require("key"))
        let result = try await storeCall { () async throws(StoreError) in
            try await store.delete(key: key, headers: context.mesh)
        }
        guard let result else { return JSONBody.response(.notFound, KeyNotFound(cause: "/" + key)) }
        return JSONBody.response(.ok, NodeAnswer(action: "delete", node: result.node, prevNode: result.prevNode))
    }

    /// Runs one store operation and turns its failure into the HTTP error it stands for.
    private func storeCall<T>(_ operation: () async throws(StoreError) -> T) async throws(APIError) -> T {
        do {
            return try await operation()
        } catch {
            throw APIError(error)
        }
    }

    private func ready(_ context: ServiceRequestContext) async -> Response {
        do {
            try await store.ping(headers: context.mesh)
            return JSONBody.response(.ok, ["status": "ready"])
        } catch {
            return APIError(.serviceUnavailable, error.description).response
        }
    }

    /// `{"key": string, "value": string}`; anything else is a 400 that says what is wrong.
    static func decodePut(_ body: ByteBuffer) throws(APIError) -> (key: String, value: String) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed])
        } catch {
            throw APIError(.badRequest, "body is not valid JSON")
        }
        guard let fields = object as? [String: Any] else {
            throw APIError(.badRequest, #"body must be a JSON object {"key": "…", "value": "…"}"#)
        }
        guard let rawKey = fields["key"] else { throw APIError(.badRequest, "missing field 'key'") }
        guard let key = rawKey as? String else { throw APIError(.badRequest, "field 'key' must be a string") }
        guard let rawValue = fields["value"] else { throw APIError(.badRequest, "missing field 'value'") }
        guard let value = rawValue as? String else { throw APIError(.badRequest, "field 'value' must be a string") }
        try StorageKey.validate(key)
        try StorageKey.validateValue(value)
        return (key, value)
    }
}
