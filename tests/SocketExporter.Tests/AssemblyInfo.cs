// The integration tests compare whole-host views (ss, lsof, fuser) taken around a scrape; tests running in
// parallel would create and remove sockets inside those windows.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
