import Collectors
import Foundation

/// What one frame shows: the collectors' values plus what the dashboard was started with.
struct ScreenModel: Sendable {
    var snapshot: Snapshot
    /// nil without --logs.
    var requests: RequestFeed?
    var logSources: [String] = []
    var logNotes: [String] = []
    var context: String?
    var namespace: String?
    var interval: Duration = .seconds(1)
    var thresholds = HealthThresholds()
    /// The request details' link into a tracing UI, when configured.
    var tracing: TracingLink?
    var now: Date
    /// Where a replay stands (`meshtop replay`); nil live.
    var replay: ReplayClock.Position?
    var timeZone: TimeZone = .current
    var load: LoadStatus?
    /// The log lines counted per hop since the start, for the `L` view.
    var ledgerLines: LedgerLines?
    /// Where `--load` sends, to put its count on its hop.
    var loadAuthority: String?
    /// The service graph as laid out for this frame's edges (`GraphCache`), while the graph
    /// view is open.
    var graph: GraphPicture?

    /// The telemetry ledger of this moment: the logs' lines, the metrics' counts and the load's.
    var ledger: TelemetryLedger {
        // With the load's own lines tailed, its count is theirs: they come with each request,
        // its progress only four times a second, which would read as a gap.
        let ownLines = loadAuthority.map { ledgerLines?.rows[LedgerLines.loadHop($0)]?.isLoad == true } ?? false
        return TelemetryLedger(
            lines: ledgerLines, counts: snapshot.requestCounts, sent: ownLines ? nil : load?.requests, loadAuthority: loadAuthority)
    }

    /// The name meshtop shows for a member: its own name, or its id in hex.
    static func memberName(_ member: EtcdMemberStatus) -> String {
        if let name = member.name, !name.isEmpty { return name }
        return member.id.map(EtcdID.text) ?? member.endpoint
    }

    func memberName(id: UInt64?) -> String? {
        guard let id else { return nil }
        if let member = snapshot.etcd?.members.first(where: { $0.id == id }) { return Self.memberName(member) }
        return EtcdID.text(id)
    }
}

/// The Load panel's figures while `--load` runs (filled by the load generator).
struct LoadStatus: Sendable, Equatable, Codable {
    var target: String
    var targetRate: Double?
    var achievedRate: Double
    var requests: Int
    var errors: Int
    var p50: Double?
    var p99: Double?
    var elapsed: Double
    var remaining: Double?
    var done = false
    /// With `--ramp`: the steps so far.
    var ramp: RampStatus? = nil
}

extension LoadStatus {
    /// The load's progress as a recording keeps it (a `load` frame: its JSON); nil for any
    /// other frame or one a later meshtop wrote in a shape this one cannot read.
    init?(recorded frame: RecordingFrame) {
        guard frame.kind == RecordingFrame.Kind.load.rawValue, let json = frame.fields.first,
            let status = try? JSONDecoder().decode(LoadStatus.self, from: Data(json))
        else { return nil }
        self = status
    }
}

/// A ramp inside the dashboard: which step runs, and how each finished one went.
struct RampStatus: Sendable, Equatable, Codable {
    struct Step: Sendable, Equatable, Codable {
        var target: Double
        var rate: Double
        var p50: Double?
        var p99: Double?
        /// Failed requests, as a share of the step's.
        var errors: Double
        /// Whether it held the SLO; nil without one.
        var held: Bool?
    }

    /// The running step, from 1; `total` the ramp's planned steps.
    var current: Int
    var total: Int
    var target: Double
    var finished: [Step] = []
    var slo: String?

    /// The first step that broke the SLO, from 1.
    var knee: Int? { finished.firstIndex { $0.held == false }.map { $0 + 1 } }
}
