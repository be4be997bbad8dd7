import Foundation
import CCurl
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The typed wrappers in shim.h, called directly against a server on a loopback port.
@Suite struct CurlShimTests {
    private func makeApp() -> some ApplicationProtocol {
        let router = Router()
        router.get("/hello") { _, _ in
            Response(status: .ok, headers: [HTTPField.Name("X-Shim")!: "yes"], body: .init(byteBuffer: ByteBuffer(string: "hello from loopback")))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private final class Collected {
        var bytes: [UInt8] = []
    }

    @Test func versionComesFromTheLinkedLibrary() {
        let version = String(cString: mt_curl_version_string())
        #expect(version.split(separator: ".").count == 3)
        #expect(version.first == "7" || version.first == "8")
    }

    @Test func fetchesFromALocalServerThroughTheWrappers() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            #expect(mt_curl_global_init_all() == CURLE_OK)
            let handle = try #require(curl_easy_init())
            defer { curl_easy_cleanup(handle) }
            let collected = Collected()
            let box = Unmanaged.passRetained(collected)
            defer { box.release() }
            let write: mt_curl_data_callback = { pointer, size, count, userdata in
                let sink = Unmanaged<Collected>.fromOpaque(userdata!).takeUnretainedValue()
                let length = size * count
                pointer!.withMemoryRebound(to: UInt8.self, capacity: length) {
                    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
                }
                return length
            }
            #expect(mt_curl_easy_setopt_string(handle, CURLOPT_URL, "http://127.0.0.1:\(port)/hello") == CURLE_OK)
            #expect(mt_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1) == CURLE_OK)
            #expect(mt_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, 5_000) == CURLE_OK)
            #expect(mt_curl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, write) == CURLE_OK)
            #expect(mt_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, box.toOpaque()) == CURLE_OK)
            let headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "X-Test: 1")
            defer { curl_slist_free_all(headers) }
            #expect(mt_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headers) == CURLE_OK)

            // Off the concurrency pool: the server's handlers run on it, and a blocked pool
            // thread on a two-core machine is half of it.
            nonisolated(unsafe) let easy = handle
            let code = await withCheckedContinuation { (done: CheckedContinuation<CURLcode, Never>) in
                Thread { done.resume(returning: curl_easy_perform(easy)) }.start()
            }
            #expect(code == CURLE_OK)
            var status = 0
            #expect(mt_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
            #expect(status == 200)
            #expect(String(decoding: collected.bytes, as: UTF8.self) == "hello from loopback")
        }
    }
}
