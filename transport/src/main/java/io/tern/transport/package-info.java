/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * The network side of the broker: NIO accept, read and write, line framing and per-peer outbound chains of rings.
 * Knows nothing of the broker: it hands framed lines to an {@link io.tern.transport.InboundSink} and writes whatever
 * bytes the sink's consumer puts into each connection's {@link io.tern.transport.Outbound}.
 * <pre>
 *   agent          owns
 *   acceptor       the listening socket; creating Connections, handing each to its reader (or the authenticator)
 *                  and to its writer
 *   authenticator  its selector and the connections still authenticating (reads, the refusal, the lingering close),
 *                  the per-source table of failed logins and the checks waiting for a verifier
 *   verifier-V     one credentials check at a time, on a copy of the first line (no socket, no connection state)
 *   reader-N       its selector, its LineArena (it reads sockets straight into it) and partial-line pool, the read
 *                  side of its connections (their partial lines, framing state) and their deadlines (name, partial
 *                  line, idle)
 *   broker         (the sink's consumer) the producer side of each connection's Outbound and its close request; the
 *                  OutboundSegmentPool (segments taken on demand, given back behind the writer and by idle peers)
 *   writer-M       its selector, its staging buffer and unwritten-rest pool, the consumer side of its connections'
 *                  Outbounds and their unwritten rests; the only agent that writes to or closes a socket once handed
 *                  on (lingering after an error reply: it reads and drops what the client still sends until the
 *                  client closes or the linger ends), and closes those still open when it stops; hands a closed
 *                  connection's segments back to the broker through a bounded queue
 * </pre>
 * The transport builds these agents and never decides which threads run them: the broker runs each on a thread of
 * its own, or reader-0, the sink's consumer and writer-0 on one thread as {@code SharedAgent}. The writer asks for
 * write-readiness through a {@code WriteInterest} (on its own selector, or on the selector the shared thread blocks
 * in), so neither the reader nor the writer knows the mode. Each agent closes what it opened in its {@code onClose}.
 * Hand-offs are bounded single-producer queues (acceptor to reader, broker to writer) and the sink (reader to
 * broker). Nothing on the per-message path allocates.
 * <p>
 * TLS: {@link io.tern.transport.TlsChannel} puts the JDK's {@code SSLEngine} between a non-blocking socket and its
 * agent, on the agent's own thread (handshake tasks included), with record buffers from one shared bounded pool taken
 * only while bytes wait; {@link io.tern.transport.TlsContexts} builds the {@code SSLContext} from PEM or PKCS#12 files.
 * <p>
 * Statistics for the broker's metrics: each reader, writer, the acceptor and the authenticator write their own Agrona
 * {@code AtomicCounter}s, labelled, in a {@code CountersManager} (see {@link io.tern.transport.TransportCounters}),
 * which any thread reads without a lock; a reader stamps every line with the time of the socket read that
 * completed it, and a writer records route-to-write and read-to-write latencies of stamped messages into its own
 * HdrHistogram recorders (see {@link io.tern.transport.OutboundDescriptor}). {@link io.tern.transport.Transport}
 * exposes them all to other threads.
 */
package io.tern.transport;
