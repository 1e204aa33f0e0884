/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * Clients of the server: connecting and registering peers, and the two agents that send and receive for all of
 * them over NIO, speaking the protocol of the target ({@link io.tern.loadgen.client.Target}): tern's line protocol,
 * core NATS or Redis pub/sub, each a {@link io.tern.loadgen.client.WireProtocol} (framing of what is sent, a parser
 * of what arrives, registration); everything else is the same for every target. tern's lines are framed and parsed by
 * the client library's codec ({@code io.tern.client.Destinations}, {@code io.tern.client.LineDecoder}), the code a
 * {@code TernClient} runs; the agents here drive the I/O of many connections each, for every target alike, rather
 * than one client I/O thread per connection, so that the targets differ only in the server.
 * <ul>
 *   <li>{@link io.tern.loadgen.client.WireProtocol#connectAndRegister} ({@link io.tern.loadgen.client.Registrar} for
 *       tern): calling thread, before the agents start. Owns every connection until then; thread start hands them
 *       over.</li>
 *   <li>{@link io.tern.loadgen.client.SenderAgent}: thread {@code loadgen-sender}. Owns the write buffers, the
 *       per-stream sent counts, the send-lag recorder; the only writer of the {@code sent...} counters, and the only
 *       thread that writes to the connections (NATS PONGs included).</li>
 *   <li>{@link io.tern.loadgen.client.ReceiverAgent}: thread {@code loadgen-receiver}. Owns the selector, the read
 *       buffers, its {@link io.tern.loadgen.client.FrameParser}, the {@link io.tern.loadgen.client.StreamChecker},
 *       the corrected and uncorrected recorders; the only writer of the receive counters, the per-sender arrival
 *       counts that closed loops read, and the NATS PING counts the sender answers.</li>
 *   <li>{@link io.tern.loadgen.client.IdlePeers} ({@code --idle-peers}): connected and registered on the calling
 *       thread before the workload's peers; then thread {@code loadgen-idle} owns their selector and connections
 *       until the calling thread stops it. Its disconnect and unexpected-line counts are atomics, read by
 *       anyone.</li>
 *   <li>{@link io.tern.loadgen.client.ClientTls} ({@code --tls}): calling thread, during registration; each
 *       connection's handshake is over before the agents start. Then a connection's
 *       {@link io.tern.transport.TlsChannel} is written by the sender thread only and read by the receiver thread
 *       only, the split its contract allows; its buffers are freed by {@code close()} after both have stopped.</li>
 *   <li>{@link io.tern.loadgen.client.LoadCounters}: single writer per field, read by anyone with acquire.</li>
 * </ul>
 * Anything else an agent holds is read by the calling thread only after joining it. Recording paths allocate
 * nothing; each agent measures its own allocated bytes over the measured period to show it. (Over TLS the JDK's
 * SSLEngine allocates on every record it wraps and unwraps: TLS runs report that allocation, plain runs none.)
 */
package io.tern.loadgen.client;
