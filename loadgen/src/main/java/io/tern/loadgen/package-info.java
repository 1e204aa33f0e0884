/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * The tern loadgen: command line, settings, and the run that ties the agents together.
 * <pre>
 *                     +------------------------- server (TCP: tern, nats-server or redis-server) ----+
 *                     |                                                                              |
 *   loadgen-sender ---+--&gt; peer connections (write buffers)      peer connections (read buffers) ---+--&gt; loadgen-receiver
 *     SenderAgent          one per peer, written only by the       read only by the receiver            ReceiverAgent
 *     send-lag recorder    sender                                                                       corrected and
 *          |                                                                                            uncorrected recorders
 *          +------------------------------- LoadCounters (single writer each) ------------------------------+
 *                                                   |
 *   calling thread (LoadGen.run): registers peers, starts the agents, IntervalReporter swaps interval
 *   histograms once a second, prints progress, writes the .hlog; after the drain: summary and files.
 * </pre>
 * Threads: exactly three while measuring, whatever the number of peers, and a fourth, {@code loadgen-idle}, that
 * holds the idle peers of {@code --idle-peers} however many there are. {@link io.tern.loadgen.LoadGenOptions} is
 * built and concluded on the calling thread before anything starts and only read afterwards.
 */
package io.tern.loadgen;
