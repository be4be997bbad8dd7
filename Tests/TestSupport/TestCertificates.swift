import Foundation

/// A throw-away CA with a server certificate for 127.0.0.1 and a client certificate,
/// made with the openssl command for the mutual-TLS tests.
public struct TestCertificates {
    public let directory: URL
    public var ca: String { directory.appendingPathComponent("ca.pem").path }
    public var serverCert: String { directory.appendingPathComponent("server.pem").path }
    public var serverKey: String { directory.appendingPathComponent("server-key.pem").path }
    public var clientCert: String { directory.appendingPathComponent("client.pem").path }
    public var clientKey: String { directory.appendingPathComponent("client-key.pem").path }

    public init(in directory: URL) throws {
        self.directory = directory
        let d = directory.path
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(d)/ca-key.pem", "-out", ca, "-days", "2", "-subj", "/CN=meshtop test CA"])
        try issue(name: "server", subject: "/CN=127.0.0.1", extensions: "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth")
        try issue(name: "client", subject: "/CN=storage-service", extensions: "extendedKeyUsage=clientAuth")
    }

    private func issue(name: String, subject: String, extensions: String) throws {
        let d = directory.path
        let extFile = "\(d)/\(name).ext"
        try extensions.write(toFile: extFile, atomically: true, encoding: .utf8)
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(d)/\(name)-key.pem", "-out", "\(d)/\(name).csr", "-subj", subject])
        try Self.openssl(["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", ca, "-CAkey", "\(d)/ca-key.pem",
            "-CAcreateserial", "-out", "\(d)/\(name).pem", "-days", "2", "-extfile", extFile])
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // The end of its output is the end of openssl; what it made is the file after -out.
        // Its exit status is not waited for: Foundation's one thread that reaps children can
        // be held by another test's child, and this runs on one of Swift's few pool threads.
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let made = arguments.firstIndex(of: "-out").map { arguments[$0 + 1] }
        let size = made.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int } ?? 0
        guard size > 0 else {
            throw TestFailure("openssl \(arguments.first ?? "") failed: \(text)")
        }
    }
}
