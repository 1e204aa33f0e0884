/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * Told when the outbound budget (all peers' queued outbound memory together) would be exceeded: the listener cuts the
 * given connection, the one with the largest backlog, as a slow consumer, by asking for its close with
 * {@link OutboundScheduler#close(Connection, Connection.CloseMode)} ({@link Connection.CloseMode#SLOW_CONSUMER}) and
 * scheduling it. Called on the sink consumer's thread (the broker), from inside {@link Outbound#tryBegin(int)}.
 */
public interface OutboundBudgetListener
{
    /**
     * @param victim the connection with the largest backlog, not the one being written to.
     */
    void onOutboundBudgetExceeded(Connection victim);
}
