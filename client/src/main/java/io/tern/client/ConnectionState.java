/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

/**
 * Where a {@link TernClient}'s connection stands.
 * <pre>
 *   CONNECTING --registered--&gt; CONNECTED --lost--&gt; DISCONNECTED --back-off--&gt; CONNECTING ...
 *        \                          \                 (reconnect on)
 *         +--- fatal reply, close(), or lost with reconnect off ---&gt; CLOSED
 * </pre>
 */
public enum ConnectionState
{
    /** Opening a connection and registering the name; sends are buffered. */
    CONNECTING,
    /** Registered: the broker routes to and from this client. */
    CONNECTED,
    /** The connection was lost and the client waits before the next try (reconnect on); sends are buffered. */
    DISCONNECTED,
    /** For good: closed by the application, by a fatal reply, or lost with reconnect off. Sends are refused. */
    CLOSED
}
