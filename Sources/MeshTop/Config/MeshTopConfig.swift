import Collectors
import Foundation
import Yams

/// The config file (`--config`, default `$XDG_CONFIG_HOME/meshtop/config.yaml`): sources,
/// timing, query overrides and health thresholds. Flags and environment win over it.
/// `example` shows every key; a test reads it through `decode`, so it stays one the
/// loader accepts.
struct MeshTopConfig: Decodable, Equatable {
    struct Thresholds: Decodable, Equatable {
        var success_rate: Double?
        var p99_ms: Double?
        var raft_lag: UInt64?
    }

    var prometheus: String?
    var prometheus_token: String?
    /// 'Name: value' lines, as `--prometheus-header` takes them.
    var prometheus_headers: [String]?
    /// prometheus, victoriametrics, mimir, thanos or generic (`--prometheus-kind`).
    var prometheus_kind: String?
    var etcd: [String]?
    var service: String?
    var interval: String?
    var window: String?
    var reporter: String?
    var profile: String?
    /// gRPC statuses that are failures, e.g. `UNAVAILABLE,DEADLINE_EXCEEDED` (`--grpc-failure-codes`).
    var grpc_failure_codes: String?
    /// A request's link into Jaeger, Zipkin or Tempo (`--tracing-url`).
    var tracing_url: String?
    /// Templates of the istio profile (`IstioQueries`), by name.
    var queries: [String: String]?
    /// Templates of the envoy profile (`EnvoyQueries`), by name.
    var envoy_queries: [String: String]?
    var thresholds: Thresholds?
    /// Largest HTTP answer, e.g. 16MiB (`--max-answer-size`).
    var max_answer_size: String?

    static let example = """
        prometheus: http://127.0.0.1:9090     # a path prefix is kept: http://mimir:8080/prometheus
        prometheus_headers: ["X-Scope-OrgID: team-a"]
        prometheus_kind: prometheus    # victoriametrics, mimir, thanos, generic; default detected
        etcd: [http://127.0.0.1:2379]
        service: http://127.0.0.1:8080
        interval: 1s
        window: 1m
        reporter: auto           # destination, source, waypoint, or auto
        profile: auto            # istio, envoy or auto
        grpc_failure_codes: UNAVAILABLE,DEADLINE_EXCEEDED,INTERNAL,UNKNOWN
        tracing_url: http://127.0.0.1:16686/trace/{trace_id}
        max_answer_size: 16MiB
        queries:
          buckets: sum by (le, {edge}) (rate(istio_request_duration_milliseconds_bucket{reporter=~"{reporter}"}[{window}]))
        envoy_queries:
          buckets: sum by (le, {edge}) (rate(envoy_cluster_upstream_rq_time_bucket{job!="admin"}[{window}]))
        thresholds: {success_rate: 0.99, p99_ms: 500, raft_lag: 100}

        """

    static func defaultPath(environment: [String: String]) -> String? {
        if let base = environment["XDG_CONFIG_HOME"], !base.isEmpty { return base + "/meshtop/config.yaml" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/meshtop/config.yaml" }
        return nil
    }

    /// The file's settings; a missing default file is an empty config, a missing or
    /// broken file named with --config is an error.
    static func load(path: String?, explicit: Bool) throws(ConfigError) -> MeshTopConfig {
        guard let path else { return MeshTopConfig() }
        guard let data = FileManager.default.contents(atPath: path) else {
            if explicit { throw ConfigError("cannot read config file \(path)") }
            return MeshTopConfig()
        }
        return try decode(data, path: path)
    }

    /// The settings in `data` (the file at `path`, named in the messages), the query names
    /// checked against the ones meshtop has.
    static func decode(_ data: Data, path: String) throws(ConfigError) -> MeshTopConfig {
        do {
            let config = try YAMLDecoder().decode(MeshTopConfig.self, from: data)
            for name in (config.queries ?? [:]).keys where !IstioQueries.names.contains(name) {
                throw ConfigError("\(path): unknown query '\(name)' (known: \(IstioQueries.names.joined(separator: ", ")))")
            }
            for name in (config.envoy_queries ?? [:]).keys where !EnvoyQueries.names.contains(name) {
                throw ConfigError(
                    "\(path): unknown envoy query '\(name)' (known: \(EnvoyQueries.names.joined(separator: ", ")))")
            }
            return config
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError("\(path): \(Self.reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            return key.isEmpty ? context.debugDescription : "\(key): \(context.debugDescription)"
        default:
            return "\(error)".split(separator: "\n").first.map(String.init) ?? "not valid YAML"
        }
    }
}

struct ConfigError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
