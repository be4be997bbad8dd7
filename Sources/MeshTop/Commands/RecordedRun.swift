import Collectors

/// One recorded run read whole (`ReplaySnapshot.run`): its figures, its polls over time, its
/// slowest requests and the load's progress; what `meshtop report` draws.
struct RecordedRun {
    let path: String
    var figures: RunFigures
    var timeline: RunTimeline
    var slowest = SlowestRequests()
    /// The load's progress, the last status of each of the timeline's buckets (bounded the
    /// same way), oldest first.
    private(set) var load: [(time: Int64, status: LoadStatus)] = []
    /// The recording's lines against the metrics counted from its first poll.
    var ledger: TelemetryLedger?

    init(path: String, figures: RunFigures, timeline: RunTimeline) {
        self.path = path
        self.figures = figures
        self.timeline = timeline
    }

    mutating func addLoad(_ status: LoadStatus, at time: Int64) {
        func bucket(_ time: Int64) -> Int64 { (time - timeline.started) / timeline.bucketWidth }
        if let last = load.last, bucket(last.time) == bucket(time) {
            load[load.count - 1] = (time, status)
        } else {
            load.append((time, status))
        }
    }

    /// The ramp as its last status had it: each finished step and the knee.
    var ramp: RampStatus? { load.last { $0.status.ramp != nil }?.status.ramp }
}
