/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * The network side of the broker: NIO accept, read and write, line framing and per-peer outbound rings. Knows
 * nothing of the broker: it hands framed lines to an {@link io.tern.transport.InboundSink} and writes whatever bytes
 * the sink's consumer puts into each connection's {@link io.tern.transport.Outbound} ring.
 * <pre>
 *   thread      owns
 *   acceptor    the listening socket; creating Connections
 *   reader-N    its selector, its LineArena, the read side of its connections (read buffer, framing state)
 *   broker      (the sink's consumer) each Connection's attachment and the producer side of its Outbound ring
 *   writer-M    its selector, the consumer side of its connections' rings, their staging buffers; the only thread
 *               that writes to or closes an accepted socket
 * </pre>
 * Hand-offs are bounded single-producer queues (acceptor to reader, broker to writer) and the sink (reader to
 * broker). Nothing on the per-message path allocates.
 * <p>
 * Statistics for the broker's metrics: each reader, writer and the acceptor own their counters
 * ({@link io.tern.transport.SingleWriterCounter}); a reader stamps every line with the time of the socket read that
 * completed it, and a writer records route-to-write and read-to-write latencies of stamped messages into its own
 * HdrHistogram recorders (see {@link io.tern.transport.OutboundDescriptor}). {@link io.tern.transport.Transport}
 * exposes them all to other threads.
 */
package io.tern.transport;
