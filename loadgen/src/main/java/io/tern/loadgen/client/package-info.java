/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * Clients of the server: connecting and registering peers, and the two agents that send and receive for all of
 * them, whatever the target ({@link io.tern.loadgen.client.Target}); each target's {@link
 * io.tern.loadgen.client.Connections} moves the bytes. tern's are {@link io.tern.loadgen.client.TernConnections}: one
 * {@code TernClient} per peer on one invoker {@code TernEventLoop}, the client library's garbage-free send and receive
 * paths, so every workload exercises the client. NATS and Redis are {@link io.tern.loadgen.client.SocketConnections}:
 * the loadgen's own NIO sockets, framed and parsed by a {@link io.tern.loadgen.client.WireProtocol}.
 * <ul>
 *   <li>{@link io.tern.loadgen.client.PollingThread}: the receiving thread ({@code loadgen-receiver}, or
 *       {@code loadgen-client} with one client thread), started before registration and registering every peer
 *       itself ({@code TernConnections.register}, {@code WireProtocol#connectAndRegister}): a tern loop may only be
 *       polled by one thread, ever. It owns every connection until the agents start.</li>
 *   <li>{@link io.tern.loadgen.client.SenderAgent}: thread {@code loadgen-sender}. Owns the sending side: for
 *       sockets the write buffers (it is the only thread that writes to them, NATS PONGs included); for tern it calls
 *       the clients' {@code queue} and {@code writeQueued}, which write through on this thread. Also the per-stream
 *       sent counts and the send-lag recorder; the only writer of the {@code sent...} counters.</li>
 *   <li>{@link io.tern.loadgen.client.ReceiverAgent}: on the receiving thread. Polls the connections (the selector,
 *       or the tern loop, whose handlers then run here), owns the read buffers, the
 *       {@link io.tern.loadgen.client.StreamChecker}, the corrected and uncorrected recorders; the only writer of the
 *       receive counters, the per-sender arrival counts that closed loops read, and the NATS PING counts the sender
 *       answers.</li>
 *   <li>{@link io.tern.loadgen.client.IdlePeers} ({@code --idle-peers}): connected and registered on the calling
 *       thread before the workload's peers; then thread {@code loadgen-idle} owns their selector and connections
 *       until the calling thread stops it. Its disconnect and unexpected-line counts are atomics, read by
 *       anyone.</li>
 *   <li>{@link io.tern.loadgen.client.ClientTls} ({@code --tls}): during registration; each connection's handshake
 *       is over before the agents start. Then a socket connection's {@link io.tern.transport.TlsChannel} is written
 *       by the sender thread only and read by the receiver thread only, the split its contract allows; its buffers
 *       are freed by {@code close()} after both have stopped. tern's clients take its {@code SSLContext}.</li>
 *   <li>{@link io.tern.loadgen.client.LoadCounters}: single writer per field, read by anyone with acquire.</li>
 * </ul>
 * Anything else an agent holds is read by the calling thread only after joining it. Recording paths allocate
 * nothing; each agent measures its own allocated bytes over the measured period to show it. (Over TLS the JDK's
 * SSLEngine allocates on every record it wraps and unwraps: TLS runs report that allocation, plain runs none.)
 */
package io.tern.loadgen.client;
