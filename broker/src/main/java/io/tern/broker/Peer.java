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
        return null == name ?
            connection.toString() : "peer '" + name + "' (" + connection + ")";
    }
}
