import Foundation
import Logging
import NIOSSL

/// Everything `buildApplication` needs; made from flags and environment by the command.
struct ServiceConfig: Sendable {
    enum EtcdAPI: String, Sendable, CaseIterable {
        case v3, v2
        /// In-process store, for router tests and for trying the UI without etcd.
        case memory
    }

    enum AccessLog: Sendable, Equatable {
        case stdout
        case file(String)
    }

    struct TLSFiles: Sendable, Equatable {
        var caFile: String?
        var certFile: String?
        var keyFile: String?
    }

    var host = "0.0.0.0"
    var port = 9080
    var etcdEndpoints = ["http://127.0.0.1:2379"]
    var etcdAPI = EtcdAPI.v3
    var etcdTimeout: Duration = .seconds(2)
    var etcdTLS = TLSFiles()
    var accessLog: AccessLog?
    var istioMetrics = false
    var logLevel = Logger.Level.info
    var identity = ServiceIdentity()
    /// A connection with no request in progress is closed after this long.
    var idleTimeout: Duration = .seconds(60)
    /// A request's head and body must arrive within this long of its first byte.
    var readTimeout: Duration = .seconds(10)
    /// Connections beyond this many wait in the listen backlog until one closes.
    var maxConnections = 1000
}

struct ServiceConfigError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ServiceConfig.TLSFiles {
    /// nil when no TLS file was given: plain HTTP to etcd.
    func configuration() throws -> TLSConfiguration? {
        guard caFile != nil || certFile != nil || keyFile != nil else { return nil }
        guard (certFile == nil) == (keyFile == nil) else {
            throw ServiceConfigError("--etcd-cert and --etcd-key go together")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        // Every file is read now: a missing or unreadable one is an operator's mistake to
        // report at start, not a "TLS handshake failed" on the first request.
        if let caFile {
            let roots = try Self.load("--etcd-cacert", caFile) { try NIOSSLCertificate.fromPEMFile($0) }
            guard !roots.isEmpty else { throw ServiceConfigError("--etcd-cacert \(caFile): no PEM certificate in it") }
            tls.trustRoots = .certificates(roots)
        }
        if let certFile, let keyFile {
            let chain = try Self.load("--etcd-cert", certFile) { try NIOSSLCertificate.fromPEMFile($0) }
            guard !chain.isEmpty else { throw ServiceConfigError("--etcd-cert \(certFile): no PEM certificate in it") }
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(
                try Self.load("--etcd-key", keyFile) { try NIOSSLPrivateKey(file: $0, format: .pem) })
        }
        return tls
    }

    private static func load<T>(_ flag: String, _ path: String, _ parse: (String) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw ServiceConfigError("\(flag) \(path): no such file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ServiceConfigError("\(flag) \(path): not readable")
        }
        do {
            return try parse(path)
        } catch {
            throw ServiceConfigError("\(flag) \(path): not a PEM file of the expected kind")
        }
    }
}
