/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import io.tern.transport.Connection;

/**
 * The broker's view of one connection: whether it has a name yet, and that name. Created on the connection's first
 * event (allocation per connection, not per message). Broker thread only.
 */
final class Peer
{
    static final int CONNECTED = 0;
    static final int NAMED = 1;
    static final int CLOSED = 2;

    final Connection connection;
    NameKey name;
    int state = CONNECTED;
    /** Queued output this batch; the writer is told once, at the end of the batch. */
    boolean dirty;

    Peer(final Connection connection)
    {
        this.connection = connection;
    }

    String describe()
    {
        return describe("");
    }

    /**
     * @param event what happened, appended as it is.
     * @return the peer, its connection and the event, for a log line: made in one concatenation, since a line is
     * written for every peer that connects.
     */
    String describe(final String event)
    {
        return null == name ? connection + event :
            "peer '" + name + "' (connection #" + connection.id() + " from " + connection.remoteAddress() + ")" + event;
    }
}
