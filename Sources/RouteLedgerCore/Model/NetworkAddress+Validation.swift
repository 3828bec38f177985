extension NetworkAddress {
    /// Whether `cidr` is an address the event format accepts: IPv4 or IPv6 with an optional `/prefix`
    /// (`10.0.2.9/24`, `fd00::5/64`), checked exactly as `append` checks `addr` fields.
    ///
    /// Adapters that build events from other systems' data (the Docker ingest) use it to leave out an
    /// address that the log would refuse, instead of failing a whole batch.
    public static func isValid(cidr: String) -> Bool {
        AddressSyntax.isValidCIDR(cidr)
    }
}
