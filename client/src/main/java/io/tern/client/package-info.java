/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * The Java client of tern: {@link io.tern.client.TernClient} connects under a name, sends to one or many names and
 * receives through handlers; its codec ({@link io.tern.client.Destinations}, {@link io.tern.client.LineDecoder}) is
 * public for tools that drive their own I/O (the loadgen).
 * <pre>
 *   application threads ---send---&gt; ManyToOneRingBuffer (bounded) ---&gt; I/O thread "tern-client-NAME" ---&gt; broker
 *                                                                        |  (socket, TLS, buffers, decoder,
 *   handlers &lt;-----------------------------------------------------------+   kept sends, reconnect loop)
 * </pre>
 * <ul>
 *   <li>Any thread: {@code TernClient.send}, {@code flush}, {@code close}, {@code state}; {@link
 *       io.tern.client.Destinations} and {@link io.tern.client.ErrorKind} (immutable).</li>
 *   <li>The client's I/O thread only: the socket and its buffers, {@code LineDecoder} and its flyweights
 *       ({@link io.tern.client.ReceivedMessage}, {@link io.tern.client.ErrorReply}, valid during a handler call),
 *       {@code PendingSends}; it calls every handler and listener.</li>
 *   <li>{@link io.tern.client.TernClientConfig}: the thread that fills it, before {@code connect}.</li>
 * </ul>
 */
package io.tern.client;
