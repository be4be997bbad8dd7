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
        if let caFile { tls.trustRoots = .file(caFile) }
        if let certFile, let keyFile {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        return tls
    }
}
