import ArgumentParser
import Collectors
import Foundation

/// `--record FILE` and `--record-max SIZE`: keep what a run received (`RecordingWriter`).
struct RecordOptions: ParsableArguments {
    @Option(help: "Record what this run receives (Prometheus answers, etcd answers, log lines, the load's progress) to FILE.")
    var record: String?

    @Option(help: "With --record: the file's bound, e.g. 500MiB; past it the oldest part is dropped, and the file says so.")
    var recordMax: String?

    func validate() throws {
        if let recordMax {
            guard record != nil else { throw ValidationError("--record-max goes with --record FILE") }
            guard EndpointOptions.byteSize(recordMax) != nil else {
                throw ValidationError("--record-max '\(recordMax)' is not a size such as 500MiB")
            }
        }
    }

    /// The writer, with what the run watches in its header; nil without --record.
    func writer(watched: [String: String]) throws -> RecordingWriter? {
        guard let record else { return nil }
        return try Self.open(record, maxBytes: recordMax.flatMap(EndpointOptions.byteSize), watched: watched)
    }

    static func open(_ path: String, maxBytes: Int?, watched: [String: String]) throws -> RecordingWriter {
        do {
            return try RecordingWriter(path: path, maxBytes: maxBytes, watched: watched, version: MeshTop.version)
        } catch {
            throw ValidationError("--record \(error.description)")
        }
    }
}

extension Endpoints {
    /// What a recording's header says the run watched.
    func watched(logs: [String], load: String? = nil) -> [String: String] {
        func name(_ forward: Forward) -> String { "port-forward \(forward.namespace)/\(forward.service):\(forward.port)" }
        var watched: [String: String] = [:]
        switch prometheus {
        case .url(let url): watched["prometheus"] = url
        case .forwardWithContext(let forward): watched["prometheus"] = name(forward)
        }
        let members = etcd.map { entry -> String in
            switch entry {
            case .url(let url): url
            case .forward(let forward): name(forward)
            }
        }
        if !members.isEmpty { watched["etcd"] = members.joined(separator: ",") }
        if let service { watched["service"] = service }
        if !logs.isEmpty { watched["logs"] = logs.joined(separator: " ") }
        if let load { watched["load"] = load }
        watched["profile"] = "\(profile)"
        return watched
    }
}

extension RecordingWriter {
    /// Where the opened sources are (a port-forward's local URL among them), for a replay.
    func addSources(_ config: PollerConfig) {
        var fields: [[UInt8]] = []
        if let prometheus = config.prometheus { fields.append(Array("prometheus=\(prometheus.http.baseURL)".utf8)) }
        if let etcd = config.etcd { fields.append(Array("etcd=\(etcd.endpoints.joined(separator: ","))".utf8)) }
        if let service = config.service { fields.append(Array("service=\(service.baseURL)".utf8)) }
        add(.sources, fields)
    }

    /// The load's progress, as the Load panel gets it.
    func addLoad(_ status: LoadStatus) {
        guard let json = try? JSONEncoder().encode(status) else { return }
        add(.load, [Array(json)])
    }
}
