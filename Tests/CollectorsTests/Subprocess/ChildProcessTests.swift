import Testing

/// The suites whose tests wait for child processes on the calling thread, one test at a time:
/// each such wait holds one of Swift's few pool threads, and two at once can starve the other
/// tests whose servers the children are waiting for.
@Suite(.serialized) struct ChildProcessTests {}
