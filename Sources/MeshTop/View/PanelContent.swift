import Collectors

/// A panel's text before it is framed: a title for its border, an optional fixed header
/// line, and scrollable lines; `items` are what selection and Enter act on.
struct PanelContent: Sendable {
    /// What a selectable row stands for; Enter turns it into a `UIState.Detail`.
    enum Item: Sendable, Equatable {
        case edge(EdgeKey)
        case member(String)
        /// A request's block in the feed, by its serial.
        case request(Int)
    }

    /// What Enter opens for each selectable row, made when asked: a table of a thousand
    /// edges would otherwise build a thousand keys every frame for the one that is selected.
    struct Items: RandomAccessCollection, Sendable, ExpressibleByArrayLiteral {
        let count: Int
        private let item: @Sendable (Int) -> Item

        init(count: Int, _ item: @escaping @Sendable (Int) -> Item) {
            self.count = count
            self.item = item
        }

        init(_ items: [Item]) { self.init(count: items.count) { items[$0] } }
        init(arrayLiteral items: Item...) { self.init(items) }

        var startIndex: Int { 0 }
        var endIndex: Int { count }
        subscript(position: Int) -> Item { item(position) }
    }

    var title: Line
    var header: Line?
    /// The lines, made on demand: a panel of a thousand rows formats only those on screen.
    var lineCount: Int
    var line: @Sendable (Int) -> Line
    /// Shown in place of the lines when there are none.
    var empty: Line?
    /// What Enter opens for each selectable item, and the line each item is on.
    var items: Items = []
    var itemLines: [Int] = []
    /// Whether the selected item's whole line is shown reversed (tables), or the builder
    /// marks the selection itself (the etcd member cells).
    var highlightsLine = true
    /// Rows the panel wants and needs, its header included.
    var wanted: Int
    var minimum: Int
    /// Last good data while its source fails.
    var faded = false
    /// The screen adds `rows 1–40 of 1000` to the title when not every line fits: a long
    /// table says how much is below the fold.
    var countsRows = false

    init(
        title: Line, header: Line? = nil, lines: [Line], empty: Line? = nil, items: Items = [], itemLines: [Int] = [],
        highlightsLine: Bool = true, wanted: Int, minimum: Int, faded: Bool = false
    ) {
        self.init(
            title: title, header: header, lineCount: lines.count, line: { lines[$0] }, empty: empty, items: items,
            itemLines: itemLines, highlightsLine: highlightsLine, wanted: wanted, minimum: minimum, faded: faded)
    }

    init(
        title: Line, header: Line? = nil, lineCount: Int, line: @escaping @Sendable (Int) -> Line, empty: Line? = nil,
        items: Items = [], itemLines: [Int] = [], highlightsLine: Bool = true, wanted: Int, minimum: Int,
        faded: Bool = false, countsRows: Bool = false
    ) {
        self.title = title
        self.header = header
        self.lineCount = lineCount
        self.line = line
        self.empty = empty
        self.items = items
        self.itemLines = itemLines
        self.highlightsLine = highlightsLine
        self.wanted = wanted
        self.minimum = minimum
        self.faded = faded
        self.countsRows = countsRows
    }

    /// Every line (tests; the screen asks for the visible ones only).
    var lines: [Line] { (0..<lineCount).map(line) }
}
