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
    /** In a cluster: the name is asked of the directory and reserved here; not yet reachable. */
    static final int PENDING = 3;

    final Connection connection;
    NameKey name;
    int state = CONNECTED;
    /** Queued output this batch; the writer is told once, at the end of the batch. */
    boolean dirty;
    /** The router's number of the last line delivered to this peer: a name repeated in one line gets it once. */
    long lastLine;
    /** Lines it sent that the router handled, and their bytes (a line end counted as one byte): for /connz. */
    long messagesIn;
    long bytesIn;
    /** Messages delivered to it: for /connz. */
    long messagesOut;
    /**
     * In a cluster, lines sent while the name was {@link #PENDING}, each as a length and its bytes, routed once the name
     * is granted. Allocated only if such a line comes (on a connection event's scale: once per peer at most).
     */
    org.agrona.ExpandableArrayBuffer held;
    int heldBytes;
    /** In a cluster, while {@link #PENDING}: the claim's id and when it was asked. */
    long claimId;
    long claimNs;

    Peer(final Connection connection)
    {
        this.connection = connection;
    }

    /**
     * Counts a line it sent, for /connz: two stores to fields of its own, no allocation.
     *
     * @param lengthBytes the line's length without its line end.
     */
    void countIn(final int lengthBytes)
    {
        messagesIn++;
        bytesIn += lengthBytes + 1;
    }

    String describe()
    {
        return describe("");
    }

    /**
     * @param event what happened, appended as it is.
     * @return the peer, its connection and the event, for a log line. Written for every peer that connects, so built
     * in one presized {@link StringBuilder}: not by string concatenation, whose first use at run time makes classes
     * (see {@link io.tern.transport.Connection#addressText}).
     */
    String describe(final String event)
    {
        if (null == name)
        {
            return connection + event;
        }
        final String nameText = name.toString();
        final String address = connection.remoteAddress();
        return new StringBuilder(48 + nameText.length() + address.length() + event.length())
            .append("peer '").append(nameText).append("' (connection #").append(connection.id())
            .append(" from ").append(address).append(')').append(event)
            .toString();
    }
}
