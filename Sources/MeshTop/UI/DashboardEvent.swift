import Collectors
import Foundation

/// Everything that can change the screen, as it reaches the UI thread: the one loop in
/// `Dashboard` is a switch over these.
enum DashboardEvent: Sendable {
    case key(Key)
    case resize
    case snapshot(Snapshot)
    case requests(RequestBatch)
    case load(LoadStatus)
    /// The clock's next second: the header's time and new data are drawn with it.
    case tick(Date)
}

/// What a log reader paired since its last batch, and where its counts stand now. Counts
/// and notes are totals, not increments, so a batch the queue drops loses no count.
struct RequestBatch: Sendable {
    var events: [PairingEvent] = []
    var counts = PairingCounts()
    var malformed = 0
    /// The lines since the start, per hop and side, for the telemetry ledger.
    var ledger: LedgerLines?
    /// The latest notes about the inputs (a FIFO waiting for a writer, pods joining), newest last.
    var notes: [String] = []
    /// A replay jumped back: the requests so far are gone, these start the list again.
    var reset = false
}
